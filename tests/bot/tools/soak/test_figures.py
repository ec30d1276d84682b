"""bot/tools/soak/figures.py: the report's arithmetic, and what fails a soak."""

from __future__ import annotations

import pytest

from bot.tools.soak.figures import BUCKET_SECONDS, SERIES, Figures, buckets, build, percentiles
from bot.tools.soak.journal import (
    AGENT,
    ANSWERED,
    APOLOGY,
    BAD_INPUT,
    EMPTY,
    QUIET,
    REFUSED,
    REST,
    RETRIED,
    UNEXPECTED,
    WIDGET,
    AgentReply,
    FaultRecord,
    Journal,
)
from bot.tools.soak.verify import MessageCheck, ReplyCheck, TicketCheck
from tests.support.clock import SecondsClock


def journal_of_a_run() -> Journal:
    clock = SecondsClock(0.0)
    journal = Journal(clock)
    journal.conversation("site-a", REST)
    journal.conversation("site-b", REST)
    journal.conversation("widget-c", WIDGET)
    journal.conversation("site-bad", BAD_INPUT)
    for at, outcome in [(1.0, ANSWERED), (2.0, ANSWERED), (3.0, EMPTY), (4.0, QUIET)]:
        clock.now = at + 0.2
        journal.exchange(REST, "site-a", at, 200, outcome)
    journal.faults.append(
        FaultRecord("action_server", "down", 10.0, restored_at=18.0, ready_after=1.0)
    )
    journal.faults[0].recovered_at = 19.5
    for at, outcome, status in [(11.0, APOLOGY, 200), (12.0, RETRIED, None), (19.0, ANSWERED, 200)]:
        clock.now = at + 0.5
        journal.exchange(WIDGET, "widget-c", at, status, outcome)
    clock.now = 40.0
    journal.exchange(REST, "site-b", 39.0, 503, RETRIED)  # outside every fault
    journal.exchange(BAD_INPUT, "site-bad", 39.5, 400, REFUSED)
    journal.exchange(BAD_INPUT, "site-bad", 39.6, 500, UNEXPECTED)
    journal.exchange(AGENT, "-", 39.7, 503, RETRIED)
    journal.agent_replies.append(AgentReply(1, "site-a", "hello", 5.0, attempts=3))
    journal.poll_failures = 2
    return journal


def figures_of(journal: Journal, **checks: object) -> Figures:
    return build(
        journal,
        30.0,
        checks.get("messages", MessageCheck(accepted=6)),  # type: ignore[arg-type]
        checks.get("tickets", TicketCheck(expected=1, created=1)),  # type: ignore[arg-type]
        checks.get("replies", ReplyCheck(sent=1, in_outbox=1, awaited=1, received=1)),  # type: ignore[arg-type]
    )


def test_counts_come_from_the_customer_exchanges() -> None:
    figures = figures_of(journal_of_a_run())
    assert figures.conversations == {REST: 2, WIDGET: 1, BAD_INPUT: 1}
    assert figures.requests == 10  # the agent's call is not a customer request
    assert (figures.bot_answers, figures.apologies, figures.replies_received) == (3, 1, 4)
    assert (figures.empty_replies, figures.quiet_in_handoff) == (1, 1)
    assert figures.retried == 2
    assert figures.apologies_outside_faults == 0
    assert figures.unavailable_outside_faults == 2  # site-b's 503 and the agent's
    assert figures.unexpected_statuses == 1
    assert (figures.bad_inputs_sent, figures.bad_inputs_as_expected) == (2, 1)
    assert figures.agent_retries == 2 and figures.poll_failures == 2
    assert figures.total_seconds == 40.0 and figures.load_seconds == 30.0


def test_each_fault_gets_its_times_and_its_failures() -> None:
    [fault] = figures_of(journal_of_a_run()).faults
    assert (fault.started_at, fault.down_seconds, fault.ready_after) == (10.0, 8.0, 1.0)
    assert fault.recovery_seconds == 1.5
    assert (fault.retried, fault.apologies) == (1, 1)


def test_a_clean_run_passes() -> None:
    journal = Journal(SecondsClock(0.0))
    journal.exchange(REST, "site-a", 0.0, 200, ANSWERED)
    assert figures_of(journal).problems() == []


@pytest.mark.parametrize(
    ("checks", "problem"),
    [
        (
            {"messages": MessageCheck(accepted=3, lost=[("site-a", "hi")])},
            "missing from the tracker",
        ),
        ({"tickets": TicketCheck(expected=2, created=1, missing=["site-a"])}, "ticket(s) missing"),
        (
            {"replies": ReplyCheck(sent=1, missing=[("site-a", "hello")])},
            "agent reply(ies) not delivered",
        ),
    ],
)
def test_lost_messages_tickets_and_replies_fail_the_soak(checks: dict, problem: str) -> None:
    journal = Journal(SecondsClock(0.0))
    journal.exchange(REST, "site-a", 0.0, 200, ANSWERED)
    assert any(problem in found for found in figures_of(journal, **checks).problems())


def test_unexpected_statuses_and_503s_outside_faults_fail_the_soak() -> None:
    problems = figures_of(journal_of_a_run()).problems()
    assert any("should not" in p for p in problems)
    assert any("outside a fault" in p for p in problems)


def test_a_message_never_accepted_and_a_handoff_never_resolved_fail_the_soak() -> None:
    journal = Journal(SecondsClock(0.0))
    journal.message(REST, "site-a", "hi", "hi").given_up = True
    journal.handoff(REST, "site-a")
    problems = figures_of(journal).problems()
    assert any("never accepted" in p for p in problems)
    assert any("never resolved" in p for p in problems)


def test_client_errors_alone_fail_the_soak() -> None:
    journal = Journal(SecondsClock(0.0))
    journal.error("the agent crashed")
    assert figures_of(journal).problems() == ["1 client error(s)"]


def test_buckets_count_customer_requests_by_when_they_ended() -> None:
    journal = journal_of_a_run()
    series = buckets(journal.exchanges, journal.now())
    assert set(series) == {label for label, _ in SERIES}
    assert all(len(values) == int(40 // BUCKET_SECONDS) + 1 for values in series.values())
    assert series["answered"][0] == 3  # 1.2, 2.2 and the quiet 4.2
    assert series["apology"][2] == 1  # 11.5
    retried = series["retried (503 / no answer / 429)"]
    assert retried[2] == 1 and retried[8] == 1  # the agent's 503 is not drawn
    assert sum(map(sum, series.values())) == 10


def test_percentiles_by_nearest_rank() -> None:
    assert percentiles([]) == {"p50": None, "p95": None, "max": None}
    values = [i / 10 for i in range(1, 21)]  # 0.1 ... 2.0
    assert percentiles(values) == {"p50": 1.0, "p95": 1.9, "max": 2.0}
    assert percentiles([0.25]) == {"p50": 0.25, "p95": 0.25, "max": 0.25}
