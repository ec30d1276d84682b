"""A soak's load whose waits take no time (tests of bot/tools/soak/)."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from bot.tools.soak.context import Load, Target
from bot.tools.soak.journal import Journal
from tests.support.clock import SecondsClock

TARGET = Target("http://relay", "backend-token", "agent", "pw")


class InstantLoad(Load):
    """Waits return at once, but move the journal's clock on by as much."""

    def __init__(
        self,
        target: Target = TARGET,
        session: aiohttp.ClientSession | Any = None,
        clock: SecondsClock | None = None,
    ) -> None:
        self.clock = clock or SecondsClock(0.0)
        super().__init__(target, session, Journal(self.clock), "s1")

    async def wait(self, seconds: float) -> None:
        self.clock.now += seconds
        await asyncio.sleep(0)
