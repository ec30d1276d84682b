"""bot/tools/soak/faults.py: the schedule, and recovery measured from the exchanges."""

from __future__ import annotations

import pytest

from bot.tools.soak.faults import (
    ACTION_SERVER,
    DATABASE,
    GRACE_SECONDS,
    RASA_SERVER,
    measure,
    outside,
    recovered_at,
    schedule,
    windows,
)
from bot.tools.soak.journal import (
    AGENT,
    ANSWERED,
    APOLOGY,
    QUIET,
    REST,
    RETRIED,
    Exchange,
    FaultRecord,
)


def ex(sent: float, done: float, outcome: str, client: str = REST) -> Exchange:
    return Exchange(client, "site-a", sent, done, 200 if outcome != RETRIED else 503, outcome)


def test_the_full_schedule_has_the_three_faults_in_order_within_the_load() -> None:
    plans = schedule(240)
    assert [p.kind for p in plans] == [ACTION_SERVER, DATABASE, RASA_SERVER]
    assert all(0 < p.at < 240 for p in plans)
    for first, second in zip(plans, plans[1:], strict=False):
        assert first.at + first.hold + 20 < second.at  # a normal stretch in between


def test_the_quick_schedule_leaves_the_rasa_server_alone() -> None:
    plans = schedule(75, quick=True)
    assert [p.kind for p in plans] == [ACTION_SERVER, DATABASE]
    assert plans[-1].at + plans[-1].hold < 75


def test_recovery_waits_for_the_last_failure_after_the_restart() -> None:
    fault = FaultRecord(ACTION_SERVER, "x", started_at=10.0, restored_at=18.0, ready_after=1.0)
    exchanges = [
        ex(11.0, 11.1, APOLOGY),
        ex(12.0, 12.1, ANSWERED),  # needed no action: lucky, not recovered
        ex(18.2, 18.3, APOLOGY),  # restarted, not listening yet
        ex(18.5, 18.6, ANSWERED),  # sent before the last failure ended: doesn't count
        ex(19.0, 19.2, ANSWERED),
        ex(19.5, 19.6, QUIET),
    ]
    exchanges.insert(4, ex(18.25, 18.7, APOLOGY))
    assert recovered_at(fault, exchanges, until=100.0) == pytest.approx(19.2)


def test_failures_long_after_the_server_was_ready_are_not_this_faults() -> None:
    fault = FaultRecord(DATABASE, "x", started_at=10.0, restored_at=20.0, ready_after=0.5)
    late = 20.0 + 0.5 + GRACE_SECONDS + 10
    exchanges = [ex(15.0, 25.0 - 5, RETRIED), ex(20.1, 20.4, ANSWERED), ex(late, late, RETRIED)]
    assert recovered_at(fault, exchanges, until=100.0) == pytest.approx(20.4)


def test_the_agents_calls_and_the_next_faults_time_do_not_count() -> None:
    fault = FaultRecord(RASA_SERVER, "x", started_at=10.0, restored_at=11.0, ready_after=60.0)
    exchanges = [ex(75.0, 75.1, ANSWERED, client=AGENT), ex(80.0, 80.2, ANSWERED)]
    assert recovered_at(fault, exchanges, until=79.0) is None
    assert recovered_at(fault, exchanges, until=90.0) == pytest.approx(80.2)


def test_a_fault_never_undone_never_recovers() -> None:
    fault = FaultRecord(RASA_SERVER, "x", started_at=10.0)
    assert recovered_at(fault, [ex(20.0, 20.1, ANSWERED)], until=50.0) is None


def test_measure_bounds_each_fault_by_the_next() -> None:
    first = FaultRecord(ACTION_SERVER, "a", started_at=10.0, restored_at=12.0, ready_after=1.0)
    second = FaultRecord(DATABASE, "b", started_at=30.0, restored_at=40.0, ready_after=1.0)
    exchanges = [ex(13.0, 13.2, ANSWERED), ex(31.0, 35.0, RETRIED), ex(41.0, 41.3, ANSWERED)]
    measure([second, first], exchanges, end=60.0)
    assert first.recovered_at == pytest.approx(13.2)
    assert second.recovered_at == pytest.approx(41.3)


def test_windows_explain_failures_until_recovery_plus_grace() -> None:
    done = FaultRecord(DATABASE, "b", started_at=30.0, restored_at=40.0, recovered_at=41.0)
    never = FaultRecord(RASA_SERVER, "c", started_at=70.0, restored_at=71.0)
    spans = windows([done, never], end=200.0)
    assert spans == [(30.0, 41.0 + GRACE_SECONDS), (70.0, 200.0)]
    assert not outside(ex(29.0, 35.0, RETRIED), spans)
    assert outside(ex(50.0, 50.5, RETRIED), spans)
    assert not outside(ex(150.0, 150.5, RETRIED), spans)
