"""bot/channels/flood.py: a brake on floods of messages, per conversation and per client."""

from __future__ import annotations

import asyncio

from bot.channels.flood import Floodgate, Limit
from bot.redis_window import redis_windows
from bot.shared_redis import SharedRedis
from tests.support.clock import SecondsClock


def admits(gate: Floodgate, conversation: str, client: str) -> bool:
    return bool(asyncio.run(gate.admits(conversation, client)))


def test_a_conversation_is_limited_within_its_window() -> None:
    clock = SecondsClock(0.0)
    gate = Floodgate(Limit(3, 60), Limit(100, 60), clock=clock)
    assert [admits(gate, "c1", "ip:1") for _ in range(5)] == [True, True, True, False, False]
    assert admits(gate, "c2", "ip:1")  # another conversation of the same client
    clock.now = 200
    assert admits(gate, "c1", "ip:1")  # the window has passed


def test_a_client_is_limited_across_its_conversations() -> None:
    gate = Floodgate(Limit(100, 60), Limit(4, 60), clock=SecondsClock(0.0))
    admitted = [admits(gate, f"c{n}", "ip:1") for n in range(6)]
    assert admitted == [True, True, True, True, False, False]
    assert admits(gate, "c9", "ip:2")


def test_refused_messages_count_so_a_script_stays_refused() -> None:
    clock = SecondsClock(0.0)
    gate = Floodgate(Limit(2, 10), Limit(100, 10), clock=clock)
    for second in range(30):
        clock.now = second
        admits(gate, "c1", "ip:1")
    clock.now = 30
    assert not admits(gate, "c1", "ip:1")
    clock.now = 45
    assert admits(gate, "c1", "ip:1")


def test_two_processes_sharing_redis_admit_no_more_than_one(redis_url: str) -> None:
    clock = SecondsClock()
    gates = [
        Floodgate(
            Limit(4, 60), Limit(100, 60), windows=redis_windows(SharedRedis(redis_url), clock)
        )
        for _ in range(2)
    ]
    admitted = [admits(gates[n % 2], "c1", "ip:1") for n in range(8)]
    assert admitted == [True] * 4 + [False] * 4
    clock.now += 61
    assert admits(gates[1], "c1", "ip:1")
