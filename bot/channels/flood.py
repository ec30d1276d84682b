"""A brake on floods of customer messages: per conversation and per client.

One customer typing fast is fine; a script posting hundreds of messages a minute
would fill the agents' queue and starve everyone else. Each channel asks
`await Floodgate.admits(conversation, client)` before handing a message to Rasa.
The counts are sliding windows (bot/sliding_window.py): in this process's bounded
memory by default (a restart forgives everyone), or in the Redis every process
shares when RELAY_REDIS_URL is set (`Services.floodgate`), so that two processes
behind one proxy do not let a client send twice as much.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.sliding_window import Limit, WindowMaker, local_windows

__all__ = ["Floodgate", "Limit", "PER_CLIENT", "PER_CONVERSATION"]

PER_CONVERSATION = Limit(20, 60.0)
PER_CLIENT = Limit(60, 60.0)


class Floodgate:
    """Admits a message unless its conversation or its client sent too many lately.

    Args:
        per_conversation: The limit of one conversation.
        per_client: The limit of one client (address, Telegram user).
        clock: The clock of the in-memory windows (injectable for tests).
        windows: Makes the two windows (by name and limit); by default in memory.
    """

    def __init__(
        self,
        per_conversation: Limit = PER_CONVERSATION,
        per_client: Limit = PER_CLIENT,
        clock: Callable[[], float] = time.monotonic,
        windows: WindowMaker | None = None,
    ) -> None:
        make = windows or local_windows(clock)
        self._conversations = make("conversation", per_conversation)
        self._clients = make("client", per_client)

    async def admits(self, conversation: str, client: str) -> bool:
        """Counts the message and says whether it may go on (refused ones count too)."""
        in_conversation = await self._conversations.hit(conversation)
        from_client = await self._clients.hit(client)
        return (
            in_conversation <= self._conversations.limit.count
            and from_client <= self._clients.limit.count
        )
