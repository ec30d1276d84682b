"""bot/shop/lookup_limits.py: visitors' order look-ups, counted in the shared database."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.shop.lookup_limits import Limits, LookupLimits, keys
from bot.shop.repository import make_engine
from tests.support.clock import WallClock


@pytest.fixture
def clock() -> WallClock:
    return WallClock()


@pytest.fixture
def limits(tmp_path: Path, clock: WallClock) -> LookupLimits:
    engine = make_engine(f"sqlite:///{tmp_path / 'shop.db'}")
    return LookupLimits(engine, Limits(per_conversation=3, per_client=5), clock=clock)


def test_a_conversation_runs_out_after_its_limit(limits: LookupLimits) -> None:
    for number in range(3):
        assert not limits.exhausted("rest-a", "ip:1")
        limits.record("rest-a", "ip:1", f"order:10030{number}")
    assert limits.exhausted("rest-a", "ip:1")
    assert not limits.exhausted("rest-b", "ip:2")


def test_a_client_runs_out_across_conversations(limits: LookupLimits) -> None:
    for number in range(5):
        limits.record(f"rest-{number}", "ip:1", f"order:10030{number}")
    assert limits.exhausted("rest-new", "ip:1")
    assert not limits.exhausted("rest-new", "ip:2")
    assert not limits.exhausted("rest-new", None)  # no client known: the conversation counts


def test_the_same_subject_again_costs_nothing(limits: LookupLimits) -> None:
    for _ in range(10):
        limits.record("rest-a", "ip:1", "order:100231")
    assert not limits.exhausted("rest-a", "ip:1")


def test_look_ups_expire_after_the_window(limits: LookupLimits, clock: WallClock) -> None:
    for number in range(3):
        limits.record("rest-a", "ip:1", f"order:10030{number}")
    clock.now += timedelta(hours=1, seconds=1)
    assert not limits.exhausted("rest-a", "ip:1")
    limits.record("rest-a", "ip:1", "order:100999")  # and old rows are cleaned up
    assert not limits.exhausted("rest-a", "ip:1")


def test_keys_are_bounded_in_length() -> None:
    charged = keys("rest-" + "x" * 1000, "ip:" + "y" * 1000)
    assert set(charged) == {"conversation", "client"}
    assert all(len(key) <= 300 for key in charged.values())


def test_two_stores_on_one_database_share_their_counts(tmp_path: Path, clock: WallClock) -> None:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    tight = Limits(per_conversation=2, per_client=10)
    first = LookupLimits(make_engine(url), tight, clock=clock)
    second = LookupLimits(make_engine(url), tight, clock=clock)
    first.record("rest-a", "ip:1", "order:1")
    second.record("rest-a", "ip:1", "order:2")
    assert first.exhausted("rest-a", "ip:1") and second.exhausted("rest-a", "ip:1")
