"""Driving a Sanic app in-process: its ASGI lifespan, then httpx's ASGI transport.

sanic-testing is not installed, so the routes are reached through Sanic's ASGI
interface with httpx's ASGI transport (after running the app's ASGI lifespan startup).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from sanic import Sanic


@asynccontextmanager
async def serving(
    app: Sanic, client: tuple[str, int] = ("127.0.0.1", 123)
) -> AsyncIterator[httpx.AsyncClient]:
    """Starts `app` through its ASGI lifespan and yields a client that reaches it in-process
    (the app sees requests coming from `client`, an address and a port)."""
    events: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    started = asyncio.Event()

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "lifespan.startup.complete":
            started.set()

    scope = {"type": "lifespan", "asgi": {"version": "3.0"}}
    lifespan = asyncio.create_task(app(scope, events.get, send))
    await events.put({"type": "lifespan.startup"})
    await asyncio.wait(
        [lifespan, asyncio.create_task(started.wait())],
        timeout=5,
        return_when=asyncio.FIRST_COMPLETED,
    )
    if lifespan.done():
        lifespan.result()  # raises why the app did not start
    assert started.is_set(), "the app did not start"
    transport = httpx.ASGITransport(app=app, client=client)  # type: ignore[arg-type]
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://relay") as client:
            yield client
    finally:
        await events.put({"type": "lifespan.shutdown"})
        # Sanic 21.12 then handles the finished lifespan as if it were a request,
        # which fails on the missing request: nothing went wrong with the app.
        with contextlib.suppress(AttributeError):
            await asyncio.wait_for(lifespan, 5)
