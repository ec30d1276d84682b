"""Stand-ins for tests of bot/tools/soak/: a load whose waits take no time, and a
stand-in Relay served on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from aiohttp import web

from bot.tools.soak.context import Load, Target
from bot.tools.soak.journal import Journal
from bot.tools.soak.stack import free_port
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


Handler = Callable[[web.Request], Awaitable[web.Response]]


@asynccontextmanager
async def serving(app_or_handler: web.Application | Handler) -> AsyncIterator[str]:
    """Serves an aiohttp app (or one handler for every path) on a free loopback port;
    yields its base URL."""
    if isinstance(app_or_handler, web.Application):
        app = app_or_handler
    else:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", app_or_handler)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
