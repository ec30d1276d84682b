"""bot/tools/bench/scripts.py: the soak's scripts, ending at a request for a person."""

from __future__ import annotations

import pytest

from bot.tools.bench.scripts import BENCH_SCRIPTS, ending_at_the_handoff, pick
from bot.tools.soak.scripts import REST_SCRIPTS, script


def test_a_handoff_ends_the_conversation() -> None:
    asks = script("x", "hi", "where is my order?", person="a person please")
    assert [s.text for s in ending_at_the_handoff(asks).steps] == [
        "hi",
        "where is my order?",
        "a person please",
    ]
    plain = script("y", "hi", "hours?")
    assert ending_at_the_handoff(plain) == plain


def test_the_bench_says_what_the_soaks_customers_say() -> None:
    assert [s.name for s in BENCH_SCRIPTS] == [s.name for s in REST_SCRIPTS]
    names = {s.name for s in BENCH_SCRIPTS}
    assert {"order status", "delivery cost", "store hours", "a return", "a person"} <= names
    for bench in BENCH_SCRIPTS:
        assert not any(step.person for step in bench.steps[:-1])  # nothing after a handoff
    assert sum(s.asks_for_a_person for s in BENCH_SCRIPTS) == 2


def test_pick_the_first_scripts() -> None:
    assert pick(None) == BENCH_SCRIPTS
    assert pick(2) == BENCH_SCRIPTS[:2]
    assert pick(100) == BENCH_SCRIPTS
    with pytest.raises(ValueError):
        pick(0)
