"""A brake on floods of customer messages: per conversation and per client.

One customer typing fast is fine; a script posting hundreds of messages a minute
would fill the agents' queue and starve everyone else. Each channel asks
`Floodgate.admits(conversation, client)` before handing a message to Rasa.
Counts live in this process's memory, bounded in size (a flood of new keys
evicts the oldest), so a restart forgives everyone.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

MAX_KEYS = 50_000


@dataclass(frozen=True)
class Limit:
    """At most `count` messages in any `seconds`-long window."""

    count: int
    seconds: float


PER_CONVERSATION = Limit(20, 60.0)
PER_CLIENT = Limit(60, 60.0)


class Window:
    """Sliding-window counters for many keys, forgetting the least recently used."""

    def __init__(
        self, limit: Limit, clock: Callable[[], float] = time.monotonic, max_keys: int = MAX_KEYS
    ) -> None:
        self.limit = limit
        self._clock = clock
        self._max_keys = max_keys
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()

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

    def full(self, key: str) -> bool:
        return len(self._recent(key, self._clock())) >= self.limit.count

    def hit(self, key: str) -> None:
        now = self._clock()
        self._recent(key, now).append(now)


class Floodgate:
    """Admits a message unless its conversation or its client sent too many lately."""

    def __init__(
        self,
        per_conversation: Limit = PER_CONVERSATION,
        per_client: Limit = PER_CLIENT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._conversations = Window(per_conversation, clock)
        self._clients = Window(per_client, clock)

    def admits(self, conversation: str, client: str) -> bool:
        """Counts the message and says whether it may go on (refused ones count too)."""
        refused = self._conversations.full(conversation) or self._clients.full(client)
        self._conversations.hit(conversation)
        self._clients.hit(client)
        return not refused
