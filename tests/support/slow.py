"""A slow database, and a clock on the event loop to show that it never holds the loop up.

`Slow` wraps a real store so that some of its calls block the calling thread first (as
a database waiting for a lock does); `alongside` runs a coroutine while another one
ticks every 10 ms, and reports the longest wait between ticks. Where the code under
test runs the store in a worker thread the ticks go on (a gap of about 10 ms); where it
calls the store on the loop the ticker stalls for the whole block.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from itertools import pairwise
from typing import Any, TypeVar

T = TypeVar("T")
BLOCK = 0.5  # seconds each slow call blocks
TICK = 0.01  # seconds between the ticker's ticks
# A gap between ticks shorter than this means the loop went on while the store blocked.
STALL = 0.25


class Slow:
    """Stands in for a store (TicketStore, Outbox, Sessions, ...): the calls named in
    `slow` block for `seconds` (time.sleep, in the caller's thread) before the real one.

    Attributes:
        calls: The slow calls made so far, by name, with the thread each ran in.
    """

    def __init__(self, store: Any, *slow: str, seconds: float = BLOCK) -> None:
        self._store, self._slow, self._seconds = store, set(slow), seconds
        self.calls: list[tuple[str, str]] = []

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._store, name)
        if name not in self._slow:
            return found

        def slowly(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, threading.current_thread().name))
            time.sleep(self._seconds)
            return found(*args, **kwargs)

        return slowly


async def alongside(work: Awaitable[T] | Callable[[], Awaitable[T]]) -> tuple[T, float, float]:
    """Awaits `work` while a coroutine ticks every TICK seconds.

    Returns:
        What `work` returned, how long it took, and the longest gap between two ticks
        (from before `work` started until it was done).
    """
    times = [time.monotonic()]
    done = asyncio.Event()

    async def tick() -> None:
        while not done.is_set():
            await asyncio.sleep(TICK)
            times.append(time.monotonic())

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0)  # the ticker is waiting before the work begins
    started = time.monotonic()
    try:
        result = await (work() if callable(work) else work)
    finally:
        finished = time.monotonic()
        done.set()
        await ticker
    kept = [moment for moment in times if moment < finished] + [finished]
    gaps = [later - earlier for earlier, later in pairwise(kept)]
    return result, finished - started, max(gaps)
