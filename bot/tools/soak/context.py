"""What every soak client shares: where Relay is, the journal, one HTTP session, the clock.

The load ends in two steps: `stop()` says no new conversation may start (clients
finish the message and the handoff they are in), and after the drain time clients
give up on a message Relay still hasn't accepted, so a soak always ends.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field

import aiohttp

from bot.tools.soak.journal import Journal
from bot.tools.soak.sentences import Sentences


@dataclass(frozen=True)
class Target:
    """Relay's address and the credentials the soak's clients use."""

    url: str
    rest_token: str
    agent_username: str
    agent_password: str

    @property
    def backend(self) -> dict[str, str]:
        """The header of the shop's backend on the REST channel."""
        return {"Authorization": f"Bearer {self.rest_token}"}


@dataclass
class Load:
    """The shared state of one soak run.

    Args:
        target: Where Relay is.
        session: The HTTP session every client uses.
        journal: Where they write what happened.
        run_id: Prefix of this run's sender ids, so runs never share a conversation.
        sentences: The domain's sentences clients recognise.
        rng: Think times and jitter (seeded: a run can be repeated).
    """

    target: Target
    session: aiohttp.ClientSession
    journal: Journal
    run_id: str
    sentences: Sentences = field(default_factory=Sentences.load)
    rng: random.Random = field(default_factory=random.Random)
    give_up_at: float | None = None

    def stop(self, drain_seconds: float) -> None:
        """No new conversations; give up on unaccepted messages after `drain_seconds`."""
        self.journal.stopping = True
        self.give_up_at = self.journal.now() + drain_seconds

    @property
    def stopping(self) -> bool:
        return self.journal.stopping

    def giving_up(self) -> bool:
        return self.give_up_at is not None and self.journal.now() >= self.give_up_at

    async def wait(self, seconds: float) -> None:
        """Every wait of the clients goes through here (tests make it instant)."""
        await asyncio.sleep(seconds)

    async def pause(self, low: float, high: float) -> None:
        """Waits a random while (a customer reading and typing)."""
        await self.wait(self.rng.uniform(low, high))
