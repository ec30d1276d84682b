"""Telegram's outbound pacing shared by every process, in Redis (see bot/channels/rate_limit.py).

Telegram's limits are per bot: two processes pacing apart would together send twice
as fast. Here both reserve their sends in Redis, each step one atomic Lua script:

- **Per chat**, `relay:telegram:chat:<chat id>` holds when the chat's next message may
  go. A send reserves that slot and moves it `per_chat_interval` on, then sleeps until
  its slot, so a chat's messages keep their order whichever process sends them.
- **Overall**, `relay:telegram:sent` is a sorted set of the sends in the last second. A
  send is let through while there are fewer than `global_per_second`; otherwise it is
  told how long until the oldest leaves the window, sleeps, and asks again.

Both keys expire soon after their last send. Times are Redis's clock, the same for
every process. While Redis is down this process paces alone (`RateLimiter`), and
Telegram's 429s, which the client honours, cover the difference.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable

from bot import shared_redis
from bot.channels.rate_limit import GLOBAL_PER_SECOND, PER_CHAT_INTERVAL, RateLimiter
from bot.shared_redis import LUA_NOW, RedisDown, SharedRedis

WINDOW_SECONDS = 1.0  # the global limit is per second
# KEYS[1] the chat's next slot; ARGV: now ('' for Redis's clock), interval. Returns the delay.
CHAT = (
    LUA_NOW
    + """
local t = now()
local interval = tonumber(ARGV[2])
local slot = math.max(t, tonumber(redis.call('GET', KEYS[1]) or '0'))
local ttl = math.ceil((slot + interval - t) * 1000) + 1000
redis.call('SET', KEYS[1], string.format('%.6f', slot + interval), 'PX', ttl)
return string.format('%.6f', slot - t)
"""
)
# KEYS[1] the recent sends; ARGV: now, window seconds, sends allowed in it, this send's id.
# Returns '' when the send may go, else the seconds to wait before asking again.
OVERALL = (
    LUA_NOW
    + """
local t = now()
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', t - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], t, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000) + 1000)
  return ''
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return string.format('%.6f', tonumber(oldest[2]) + window - t)
"""
)


class RedisRateLimiter:
    """Waits before each send so that the bot, across all its processes, stays under its limits.

    Args:
        redis: The shared Redis.
        per_chat_interval: Minimum seconds between two sends to the same chat.
        global_per_second: Maximum sends in any one-second window, by all processes.
        clock: Wall clock in seconds; None uses Redis's (the same for every process).
        sleep: Coroutine that sleeps for a number of seconds (injectable for tests).
    """

    def __init__(
        self,
        redis: SharedRedis,
        per_chat_interval: float = PER_CHAT_INTERVAL,
        global_per_second: int = GLOBAL_PER_SECOND,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.per_chat_interval = per_chat_interval
        self.global_per_second = global_per_second
        self._redis = redis
        self._clock = clock
        self._sleep = sleep
        self._alone = RateLimiter(
            per_chat_interval, global_per_second, clock or time.monotonic, sleep
        )
        self._lock = asyncio.Lock()  # this process's senders ask Redis in arrival order

    def _now(self) -> str:
        return shared_redis.clock_arg(self._clock)

    async def wait(self, chat_id: str) -> None:
        """Returns when a message may be sent to `chat_id`."""
        chat = shared_redis.key("telegram", "chat", chat_id)
        try:
            delay = await self._redis.script(CHAT, [chat], [self._now(), self.per_chat_interval])
        except RedisDown:
            await self._alone.wait(chat_id)
            return
        if float(delay) > 0:
            await self._sleep(float(delay))
        async with self._lock:
            await self._wait_overall(chat_id)

    async def _wait_overall(self, chat_id: str) -> None:
        sent = shared_redis.key("telegram", "sent")
        while True:
            args = [self._now(), WINDOW_SECONDS, self.global_per_second, secrets.token_hex(8)]
            try:
                delay = await self._redis.script(OVERALL, [sent], args)
            except RedisDown:
                await self._alone.wait(chat_id)
                return
            if not delay:
                return
            await self._sleep(float(delay))
