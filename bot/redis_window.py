"""Sliding windows in Redis, shared by every process (bot/sliding_window.py's `RecentEvents`).

A window is a sorted set per key (`relay:window:<name>:<key>`) of its events' times.
One Lua script trims the events older than the window, adds the new one and sets the
key to expire with the window, atomically: two processes counting the same key see
one count, so a limit holds for all of them together. Only the newest `limit.count + 1`
events are kept: they alone decide whether the key is over its limit, and a flood
cannot grow the set. Times are Redis's own clock (the processes' monotonic clocks
differ), unless a test gives one.

While Redis is down (bot/shared_redis.py) the window counts in this process's memory
instead: the brake is then per process, as with one process, rather than gone.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from bot import shared_redis
from bot.shared_redis import LUA_NOW, RedisDown, SharedRedis
from bot.sliding_window import Limit, LocalWindow, RecentEvents, WindowMaker

# KEYS[1] the window; ARGV: now ('' for Redis's clock), seconds, events kept, event id.
HIT = (
    LUA_NOW
    + """
local t = now()
local seconds = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', t - seconds)
redis.call('ZADD', KEYS[1], t, ARGV[4])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(tonumber(ARGV[3]) + 1))
redis.call('PEXPIRE', KEYS[1], math.ceil(seconds * 1000))
return redis.call('ZCARD', KEYS[1])
"""
)
# KEYS[1] the window; ARGV: now, seconds.
COUNT = (
    LUA_NOW
    + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now() - tonumber(ARGV[2]))
return redis.call('ZCARD', KEYS[1])
"""
)


class RedisWindow:
    """Recent events per key in Redis, or in memory while Redis is down.

    Args:
        redis: The shared Redis.
        name: The window's name, unique among Relay's windows (part of its keys).
        limit: At most how many events in how many seconds.
        clock: Wall clock in seconds; None uses Redis's (the same for every process).
    """

    def __init__(
        self,
        redis: SharedRedis,
        name: str,
        limit: Limit,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._redis = redis
        self._name = name
        self._limit = limit
        self._clock = clock
        self._local = LocalWindow(limit) if clock is None else LocalWindow(limit, clock)

    @property
    def limit(self) -> Limit:
        return self._limit

    def _key(self, key: str) -> str:
        return shared_redis.key("window", self._name, key)

    def _now(self) -> str:
        return shared_redis.clock_arg(self._clock)

    async def count(self, key: str) -> int:
        try:
            args = [self._now(), self._limit.seconds]
            return int(await self._redis.script(COUNT, [self._key(key)], args))
        except RedisDown:
            return await self._local.count(key)

    async def hit(self, key: str) -> int:
        event = secrets.token_hex(8)
        args = [self._now(), self._limit.seconds, self._limit.count + 1, event]
        try:
            return int(await self._redis.script(HIT, [self._key(key)], args))
        except RedisDown:
            return await self._local.hit(key)

    async def forget(self, key: str) -> None:
        await self._local.forget(key)
        try:
            await self._redis.run(lambda client: client.delete(self._key(key)))
        except RedisDown:
            pass


def redis_windows(redis: SharedRedis, clock: Callable[[], float] | None = None) -> WindowMaker:
    """Makes `RedisWindow`s on `redis`."""

    def make(name: str, limit: Limit) -> RecentEvents:
        return RedisWindow(redis, name, limit, clock)

    return make
