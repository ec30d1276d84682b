"""bot/channels/rate_limit.py: spacing per chat and a global cap, on a simulated clock."""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import Awaitable
from typing import TypeVar

from bot.channels import rate_limit
from bot.channels.rate_limit import RateLimiter

T = TypeVar("T")


class Clock:
    """Simulated time: it jumps to the earliest sleeper's wake-up once everyone is waiting."""

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        wake: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + seconds, id(wake), wake))
        await wake

    async def drive(self, work: Awaitable[T]) -> T:
        """Runs `work`, moving time on whenever nothing else can run."""
        task = asyncio.ensure_future(work)
        while not task.done():
            for _ in range(20):  # let every runnable task reach its next sleep
                await asyncio.sleep(0)
            if self._sleepers and not task.done():
                self.now, _, wake = heapq.heappop(self._sleepers)
                wake.set_result(None)
        return task.result()


def sent_at(limiter: RateLimiter, clock: Clock, chats: list[str]) -> list[float]:
    """When each send (in this order, all started at once) was let through."""

    async def send(chat: str) -> float:
        await limiter.wait(chat)
        return round(clock.now, 6)

    async def all_at_once() -> list[float]:
        return list(await clock.drive(asyncio.gather(*(send(chat) for chat in chats))))

    return asyncio.run(all_at_once())


def test_one_chat_gets_a_message_a_second() -> None:
    clock = Clock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    assert sent_at(limiter, clock, ["1001"] * 4) == [0.0, 1.0, 2.0, 3.0]


def test_different_chats_do_not_wait_for_each_other() -> None:
    clock = Clock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    assert sent_at(limiter, clock, ["1001", "1002", "1003"]) == [0.0, 0.0, 0.0]


def test_no_more_than_the_global_cap_in_any_second() -> None:
    clock = Clock()
    limiter = RateLimiter(global_per_second=30, clock=clock, sleep=clock.sleep)
    times = sent_at(limiter, clock, [str(chat) for chat in range(75)])
    assert times == [0.0] * 30 + [1.0] * 30 + [2.0] * 15
    for start in times:
        assert sum(start <= t < start + 1 for t in times) <= 30


def test_a_chat_that_was_quiet_is_not_delayed() -> None:
    clock = Clock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    sent_at(limiter, clock, ["1001"])
    clock.now = 5.0
    assert sent_at(limiter, clock, ["1001"]) == [5.0]


def test_idle_chats_are_forgotten(monkeypatch) -> None:
    monkeypatch.setattr(rate_limit, "MAX_CHATS", 3)
    clock = Clock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    sent_at(limiter, clock, ["a", "b", "c"])
    clock.now = 10.0
    sent_at(limiter, clock, ["d"])
    assert set(limiter._next_for_chat) == {"d"}
