"""bot/sliding_window.py: recent events per key, in bounded memory."""

from __future__ import annotations

import asyncio

from bot.sliding_window import Limit, LocalWindow, Window, full
from tests.support.clock import SecondsClock


def test_events_older_than_the_window_are_forgotten() -> None:
    clock = SecondsClock(0.0)
    window = Window(Limit(2, 10), clock=clock)
    window.hit("a")
    clock.now = 5
    window.hit("a")
    assert window.full("a") and window.count("a") == 2
    clock.now = 10.5
    assert window.count("a") == 1 and not window.full("a")


def test_keys_are_counted_apart_and_can_be_forgotten() -> None:
    window = Window(Limit(1, 60), clock=SecondsClock(0.0))
    window.hit("a")
    assert window.full("a") and not window.full("b")
    window.forget("a")
    assert not window.full("a")


def test_memory_stays_bounded_under_a_flood_of_new_keys() -> None:
    window = Window(Limit(1, 60), clock=SecondsClock(0.0), max_keys=100)
    for number in range(10_000):
        window.hit(f"key-{number}")
    assert len(window) == 100
    assert window.full("key-9999") and not window.full("key-0")  # the oldest went first


def test_a_local_window_counts_as_recent_events() -> None:
    clock = SecondsClock(0.0)
    events = LocalWindow(Limit(2, 10), clock=clock)

    async def scenario() -> list[object]:
        hits = [await events.hit("a"), await events.hit("a"), await events.hit("a")]
        seen = [hits, await full(events, "a")]
        await events.forget("a")
        return [*seen, await events.count("a"), events.limit]

    assert asyncio.run(scenario()) == [[1, 2, 3], True, 0, Limit(2, 10)]
