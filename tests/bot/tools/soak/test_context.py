"""bot/tools/soak/context.py: the load stops in two steps, and the backend's header."""

from __future__ import annotations

from typing import Any, cast

from bot.tools.soak.context import Load, Target
from bot.tools.soak.journal import Journal
from tests.support.clock import SecondsClock


def test_stopping_then_giving_up_after_the_drain() -> None:
    clock = SecondsClock(0.0)
    load = Load(Target("http://x", "tok", "agent", "pw"), cast(Any, None), Journal(clock), "s1")
    assert not load.stopping and not load.giving_up()
    clock.now = 60.0
    load.stop(drain_seconds=30.0)
    assert load.stopping and load.journal.stopping and not load.giving_up()
    clock.now = 90.0
    assert load.giving_up()


def test_the_backend_sends_its_token() -> None:
    assert Target("http://x", "tok", "a", "p").backend == {"Authorization": "Bearer tok"}
