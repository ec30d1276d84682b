"""Sliding-window counters for many keys, in bounded memory.

Used wherever Relay counts recent events per key to brake abuse: customers'
messages per conversation and client (bot/channels/flood.py), failed console
sign-ins per username and address (bot/handoff/auth.py). A flood of new keys
evicts the least recently used ones, so memory stays bounded.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

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
