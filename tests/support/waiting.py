"""Waiting, in asyncio tests, for something that happens in the background."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


async def until(check: Callable[[], bool], seconds: float = 5.0) -> None:
    """Polls `check` until it holds; fails the test after `seconds`."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"still not true after {seconds} s"
        await asyncio.sleep(0.01)
