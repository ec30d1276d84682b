"""bot/redis_window.py: sliding windows in a real Redis, shared by two processes' windows."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from typing import TypeVar

import pytest
import redis

from bot.redis_window import RedisWindow
from bot.shared_redis import SharedRedis
from bot.sliding_window import Limit, full
from bot.tools.soak.stack import free_port
from tests.support.clock import SecondsClock

T = TypeVar("T")


def run(work: Awaitable[T]) -> T:
    async def go() -> T:
        return await work

    return asyncio.run(go())


def window(url: str, limit: Limit, clock: SecondsClock | None = None) -> RedisWindow:
    """A window named `test` on `url`, as one process would have it."""
    return RedisWindow(SharedRedis(url), "test", limit, clock)


def test_events_older_than_the_window_are_forgotten(redis_url: str) -> None:
    clock = SecondsClock()
    events = window(redis_url, Limit(2, 10), clock)
    start = clock.now
    run(events.hit("a"))
    clock.now = start + 5
    assert run(events.hit("a")) == 2 and run(full(events, "a"))
    clock.now = start + 10.5
    assert run(events.count("a")) == 1 and not run(full(events, "a"))


def test_two_processes_count_one_key_together(redis_url: str) -> None:
    clock = SecondsClock()
    first, second = window(redis_url, Limit(3, 60), clock), window(redis_url, Limit(3, 60), clock)
    assert [run(w.hit("a")) for w in (first, second, first)] == [1, 2, 3]
    assert run(full(second, "a")) and not run(full(second, "b"))
    run(second.forget("a"))
    assert run(first.count("a")) == 0


def test_concurrent_hits_from_two_processes_are_all_counted(redis_url: str) -> None:
    first, second = window(redis_url, Limit(100, 60)), window(redis_url, Limit(100, 60))

    async def both() -> list[int]:
        hits = [w.hit("a") for _ in range(20) for w in (first, second)]
        return list(await asyncio.gather(*hits))

    assert sorted(run(both())) == list(range(1, 41))  # each hit saw its own count


def test_keys_are_relays_expire_with_the_window_and_stay_small(redis_url: str) -> None:
    events = window(redis_url, Limit(3, 60), SecondsClock())

    async def flood() -> None:
        for _ in range(1000):
            await events.hit("flooder")

    run(flood())
    assert run(events.count("flooder")) == 4  # over the limit: only the newest are kept
    client = redis.Redis.from_url(redis_url)
    [key] = client.keys("*")
    assert key == b"relay:window:test:flooder"
    assert client.zcard(key) == 4 and 0 < client.pttl(key) <= 60_000
    client.close()


def test_redis_time_is_the_clock_by_default(redis_url: str) -> None:
    events = window(redis_url, Limit(1, 0.3))
    run(events.hit("a"))
    assert run(full(events, "a"))
    time.sleep(0.4)
    assert not run(full(events, "a"))


def test_with_redis_down_each_process_counts_alone(caplog: pytest.LogCaptureFixture) -> None:
    events = window(f"redis://127.0.0.1:{free_port()}/0", Limit(2, 60))
    assert [run(events.hit("a")) for _ in range(3)] == [1, 2, 3]
    assert run(full(events, "a"))
    run(events.forget("a"))
    assert run(events.count("a")) == 0
    assert len([r for r in caplog.records if r.name == "bot.shared_redis"]) == 1
