"""An asyncio rate limiter for a chat service's outbound messages.

Telegram's documented limits for bots are about one message per second in a chat
and about thirty messages per second overall; above them it answers 429 with a
`retry_after`. Spacing our own sends keeps us under them, so the 429s (which we
also honour) stay rare.

The limits are the bot's, not a process's: `RateLimiter` paces this process alone
(one process, the default); with RELAY_REDIS_URL every process paces through Redis
together (bot/channels/redis_rate_limit.py). Both are a `Pacer`.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Protocol

PER_CHAT_INTERVAL = 1.0  # seconds between two messages to the same chat
GLOBAL_PER_SECOND = 30  # messages in any one-second window, across all chats
MAX_CHATS = 10_000  # chat entries kept before old ones are forgotten


class Pacer(Protocol):
    """Paces a bot's outbound messages."""

    async def wait(self, chat_id: str) -> None:
        """Returns when a message may be sent to `chat_id`."""
        ...


class RateLimiter:
    """Waits before each send so that a chat and the whole bot stay under their limits.

    Args:
        per_chat_interval: Minimum seconds between two sends to the same chat.
        global_per_second: Maximum sends in any one-second window.
        clock: Monotonic clock in seconds (injectable for tests).
        sleep: Coroutine that sleeps for a number of seconds (injectable for tests).
    """

    def __init__(
        self,
        per_chat_interval: float = PER_CHAT_INTERVAL,
        global_per_second: int = GLOBAL_PER_SECOND,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.per_chat_interval = per_chat_interval
        self.global_per_second = global_per_second
        self._clock = clock
        self._sleep = sleep
        self._next_for_chat: dict[str, float] = {}
        self._recent: deque[float] = deque()
        self._global_lock = asyncio.Lock()

    async def wait(self, chat_id: str) -> None:
        """Returns when a message may be sent to `chat_id`."""
        await self._wait_for_chat(chat_id)
        await self._wait_globally()

    async def _wait_for_chat(self, chat_id: str) -> None:
        # Reserve a slot first, then sleep: messages to one chat keep their order.
        now = self._clock()
        slot = max(now, self._next_for_chat.get(chat_id, now))
        self._next_for_chat[chat_id] = slot + self.per_chat_interval
        if len(self._next_for_chat) > MAX_CHATS:
            self._forget_idle_chats(now)
        if slot > now:
            await self._sleep(slot - now)

    def _forget_idle_chats(self, now: float) -> None:
        for chat_id in [chat for chat, due in self._next_for_chat.items() if due <= now]:
            del self._next_for_chat[chat_id]

    async def _wait_globally(self) -> None:
        async with self._global_lock:  # FIFO: senders are served in arrival order
            while True:
                now = self._clock()
                while self._recent and now - self._recent[0] >= 1.0:
                    self._recent.popleft()
                if len(self._recent) < self.global_per_second:
                    self._recent.append(now)
                    return
                await self._sleep(1.0 - (now - self._recent[0]))
