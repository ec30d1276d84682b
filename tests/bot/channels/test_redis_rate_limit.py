"""bot/channels/redis_rate_limit.py: two processes' limiters on one real Redis pace as one bot."""

from __future__ import annotations

import asyncio
import time

import redis

from bot.channels.redis_rate_limit import RedisRateLimiter
from bot.shared_redis import SharedRedis
from bot.tools.soak.stack import free_port

START = 1_800_000_000.0


class Clock:
    """Wall-clock seconds that move only when someone sleeps (everyone waits in turn)."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def limiters(url: str, clock: Clock, global_per_second: int = 30) -> list[RedisRateLimiter]:
    """Two processes' limiters on one Redis."""
    return [
        RedisRateLimiter(
            SharedRedis(url), global_per_second=global_per_second, clock=clock, sleep=clock.sleep
        )
        for _ in range(2)
    ]


def sent_at(clock: Clock, sends: list[tuple[RedisRateLimiter, str]]) -> list[float]:
    """When each send (one after the other) was let through, in seconds from START."""

    async def one_by_one() -> list[float]:
        times = []
        for limiter, chat in sends:
            await limiter.wait(chat)
            times.append(round(clock.now - START, 3))
        return times

    return asyncio.run(one_by_one())


def test_a_chat_gets_a_message_a_second_whichever_process_sends(redis_url: str) -> None:
    clock = Clock()
    first, second = limiters(redis_url, clock)
    sends = [(first, "1001"), (second, "1001"), (first, "1001"), (second, "1002")]
    assert sent_at(clock, sends) == [0.0, 1.0, 2.0, 2.0]


def test_two_processes_together_stay_under_the_global_cap(redis_url: str) -> None:
    clock = Clock()
    first, second = limiters(redis_url, clock, global_per_second=3)
    times = sent_at(clock, [((first, second)[n % 2], f"chat-{n}") for n in range(8)])
    assert times == [0.0] * 3 + [1.0] * 3 + [2.0] * 2
    for start in times:
        assert sum(start <= t < start + 1 for t in times) <= 3


def test_concurrent_sends_on_redis_time_stay_under_the_cap(redis_url: str) -> None:
    first, second = (RedisRateLimiter(SharedRedis(redis_url), global_per_second=5) for _ in "ab")

    async def send(limiter: RedisRateLimiter, chat: str) -> float:
        await limiter.wait(chat)
        return time.monotonic()

    async def all_at_once() -> list[float]:
        sends = [send((first, second)[n % 2], f"chat-{n}") for n in range(12)]
        return list(await asyncio.gather(*sends))

    started = time.monotonic()
    times = sorted(t - started for t in asyncio.run(all_at_once()))
    assert times[-1] >= 1.9  # 5, 5 and 2: one process alone would have sent 6 at once
    for start in times:
        assert sum(start <= t < start + 0.95 for t in times) <= 5


def test_its_keys_are_relays_and_expire(redis_url: str) -> None:
    clock = Clock()
    first, _ = limiters(redis_url, clock)
    sent_at(clock, [(first, "1001")])
    client = redis.Redis.from_url(redis_url)
    keys = sorted(client.keys("*"))
    assert keys == [b"relay:telegram:chat:1001", b"relay:telegram:sent"]
    assert all(0 < client.pttl(key) <= 3000 for key in keys)
    client.close()


def test_with_redis_down_each_process_paces_alone() -> None:
    clock = Clock()
    down = f"redis://127.0.0.1:{free_port()}/0"
    limiter = RedisRateLimiter(SharedRedis(down), clock=clock, sleep=clock.sleep)
    assert sent_at(clock, [(limiter, "1001"), (limiter, "1001"), (limiter, "1002")]) == [
        0.0,
        1.0,
        1.0,
    ]
