"""bot/channels/flood.py: a brake on floods of messages, per conversation and per client."""

from __future__ import annotations

from bot.channels.flood import Floodgate, Limit
from tests.support.clock import SecondsClock


def test_a_conversation_is_limited_within_its_window() -> None:
    clock = SecondsClock(0.0)
    gate = Floodgate(Limit(3, 60), Limit(100, 60), clock=clock)
    assert [gate.admits("c1", "ip:1") for _ in range(5)] == [True, True, True, False, False]
    assert gate.admits("c2", "ip:1")  # another conversation of the same client
    clock.now = 200
    assert gate.admits("c1", "ip:1")  # the window has passed


def test_a_client_is_limited_across_its_conversations() -> None:
    gate = Floodgate(Limit(100, 60), Limit(4, 60), clock=SecondsClock(0.0))
    admitted = [gate.admits(f"c{n}", "ip:1") for n in range(6)]
    assert admitted == [True, True, True, True, False, False]
    assert gate.admits("c9", "ip:2")


def test_refused_messages_count_so_a_script_stays_refused() -> None:
    clock = SecondsClock(0.0)
    gate = Floodgate(Limit(2, 10), Limit(100, 10), clock=clock)
    for second in range(30):
        clock.now = second
        gate.admits("c1", "ip:1")
    clock.now = 30
    assert not gate.admits("c1", "ip:1")
    clock.now = 45
    assert gate.admits("c1", "ip:1")
