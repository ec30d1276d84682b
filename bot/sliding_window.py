"""Sliding-window counters for many keys, in bounded memory.

Used wherever Relay counts recent events per key to brake abuse: customers'
messages per conversation and client (bot/channels/flood.py), failed console
sign-ins per username and address (bot/handoff/auth.py). A flood of new keys
evicts the least recently used ones, so memory stays bounded.

Those users see the counts as `RecentEvents`, made by a `WindowMaker`: `LocalWindow`
keeps them in this process's memory (the default), `RedisWindow`
(bot/redis_window.py) in the Redis every process shares.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

MAX_KEYS = 50_000


@dataclass(frozen=True)
class Limit:
    """At most `count` events in any `seconds`-long window."""

    count: int
    seconds: float


class Window:
    """Recent events per key, each key forgetting events older than the limit's window."""

    def __init__(
        self, limit: Limit, clock: Callable[[], float] = time.monotonic, max_keys: int = MAX_KEYS
    ) -> None:
        self.limit = limit
        self._clock = clock
        self._max_keys = max_keys
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._hits)

    def _recent(self, key: str, now: float) -> deque[float]:
        hits = self._hits.get(key)
        if hits is None:
            hits = self._hits[key] = deque()
            while len(self._hits) > self._max_keys:
                self._hits.popitem(last=False)
        self._hits.move_to_end(key)
        while hits and hits[0] <= now - self.limit.seconds:
            hits.popleft()
        return hits

    def count(self, key: str) -> int:
        return len(self._recent(key, self._clock()))

    def full(self, key: str) -> bool:
        return self.count(key) >= self.limit.count

    def hit(self, key: str) -> None:
        now = self._clock()
        self._recent(key, now).append(now)

    def forget(self, key: str) -> None:
        self._hits.pop(key, None)


class RecentEvents(Protocol):
    """Recent events per key, wherever they are kept."""

    @property
    def limit(self) -> Limit: ...

    async def count(self, key: str) -> int:
        """The events of `key` in the window (at least `limit.count + 1` when over it)."""
        ...

    async def hit(self, key: str) -> int:
        """Counts an event of `key`; returns the count including it."""
        ...

    async def forget(self, key: str) -> None: ...


WindowMaker = Callable[[str, Limit], RecentEvents]  # a window's name and limit -> the window


async def full(events: RecentEvents, key: str) -> bool:
    """Whether `key` already had as many events as its limit allows."""
    return await events.count(key) >= events.limit.count


class LocalWindow:
    """A `Window` as `RecentEvents`: counts in this process's memory only."""

    def __init__(self, limit: Limit, clock: Callable[[], float] = time.monotonic) -> None:
        self.window = Window(limit, clock)

    @property
    def limit(self) -> Limit:
        return self.window.limit

    async def count(self, key: str) -> int:
        return self.window.count(key)

    async def hit(self, key: str) -> int:
        self.window.hit(key)
        return self.window.count(key)

    async def forget(self, key: str) -> None:
        self.window.forget(key)


def local_windows(clock: Callable[[], float] = time.monotonic) -> WindowMaker:
    """Makes `LocalWindow`s on `clock` (the name is not needed: each window is its own)."""
    return lambda name, limit: LocalWindow(limit, clock)
