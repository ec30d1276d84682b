"""The Redis where several Rasa server processes keep the state they share (RELAY_REDIS_URL).

Flood and sign-in counts (bot/redis_window.py), Telegram's pacing
(bot/channels/redis_rate_limit.py) and long button payloads
(bot/channels/redis_callback_data.py) do their work through `SharedRedis.run`. Their
keys start with `relay:` and all expire, so Redis never fills.

Redis down must never cost a customer their answer. `run` raises `RedisDown` and each
service falls back to this process's memory: today's single-process behaviour, so the
brakes still hold per process. An outage is logged once (a warning) and its end once;
after a failure no call is tried for `RETRY_SECONDS`, so a Redis that does not answer
delays at most one message every few seconds, by at most twice `TIMEOUT_SECONDS`.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from redis.asyncio import Redis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

T = TypeVar("T")

PREFIX = "relay:"
TIMEOUT_SECONDS = 0.5  # to connect, and for each reply
RETRY_SECONDS = 5.0  # after a failure, Redis is left alone this long
MAX_KEY_PART = 100  # longer key parts (user input) are hashed

DOWN = "redis at %s failed (%s): shared state falls back to this process's memory until it is back"
BACK = "redis at %s is back: shared state is shared again"

# The clock every process agrees on: Redis's own (seconds), unless the caller gave one.
LUA_NOW = """
local function now()
  if ARGV[1] ~= '' then return tonumber(ARGV[1]) end
  local time = redis.call('TIME')
  return tonumber(time[1]) + tonumber(time[2]) / 1000000
end
"""


class RedisDown(Exception):
    """Redis could not be used just now; the caller falls back to its own memory."""

    def __init__(self, where: str, error: BaseException | None = None) -> None:
        super().__init__(where)
        self.where = where
        self.error = error

    def __str__(self) -> str:
        cause = f": {self.error}" if self.error else " (recently failed, not tried)"
        return f"redis at {self.where} is unavailable{cause}"


def key(*parts: str) -> str:
    """A key in Relay's namespace; long parts (they may be user input) are hashed."""
    kept = [
        part if len(part) <= MAX_KEY_PART else hashlib.sha256(part.encode()).hexdigest()
        for part in parts
    ]
    return PREFIX + ":".join(kept)


def clock_arg(clock: Callable[[], float] | None) -> str:
    """The `now` argument of a script that starts with LUA_NOW: empty for Redis's clock."""
    return "" if clock is None else repr(clock())


def _where(url: str) -> str:
    """The URL without its password, for log lines."""
    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 6379}{parts.path or ''}"


class SharedRedis:
    """One connection pool on RELAY_REDIS_URL, and the outage policy (see the module docstring).

    Args:
        url: A redis-py URL (`redis://[:password@]host:port/db`, `rediss://`, `unix://`).
        timeout: Seconds to connect, and to wait for each reply.
        retry_after: Seconds after a failure during which Redis is not tried.
        clock: Monotonic clock for that pause (injectable for tests).
    """

    def __init__(
        self,
        url: str,
        timeout: float = TIMEOUT_SECONDS,
        retry_after: float = RETRY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.where = _where(url)
        self._url = url
        self._timeout = timeout
        self._retry_after = retry_after
        self._clock = clock
        self._paused_until = float("-inf")
        self._down = False
        self._client: Redis | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def client(self) -> Redis:
        """The client for the running event loop (its connections belong to one loop)."""
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            self._client = Redis.from_url(
                self._url,
                socket_timeout=self._timeout,
                socket_connect_timeout=self._timeout,
                decode_responses=True,
            )
            self._loop = loop
        return self._client

    async def run(self, work: Callable[[Redis], Awaitable[T]]) -> T:
        """`work`'s result with this process's client.

        Raises:
            RedisDown: It failed, or Redis failed a moment ago and is not tried yet.
        """
        if self._clock() < self._paused_until:
            raise RedisDown(self.where)
        try:
            result = await asyncio.wait_for(work(self.client()), self._timeout * 2)
        except (RedisError, OSError, asyncio.TimeoutError) as error:
            self._paused_until = self._clock() + self._retry_after
            if not self._down:
                self._down = True
                logger.warning(DOWN, self.where, str(error) or type(error).__name__)
            raise RedisDown(self.where, error) from error
        if self._down:
            self._down = False
            logger.info(BACK, self.where)
        return result

    async def script(self, source: str, keys: list[str], args: list[Any]) -> Any:
        """Runs a Lua script atomically (EVALSHA, loading it the first time)."""

        async def call(client: Redis) -> Any:
            return await client.register_script(source)(keys=keys, args=args)

        return await self.run(call)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None
