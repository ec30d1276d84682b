"""bot/tools/soak/journal.py: what an answer means, and the journal's bookkeeping."""

from __future__ import annotations

import pytest

from bot.tools.soak.journal import (
    AGENT,
    ANSWERED,
    APOLOGY,
    EMPTY,
    QUIET,
    REFUSED,
    REST,
    RETRIED,
    THROTTLED,
    UNEXPECTED,
    FaultRecord,
    Journal,
    outcome_of,
)
from tests.support.clock import SecondsClock


@pytest.mark.parametrize(
    ("status", "texts", "apology", "in_handoff", "expected"),
    [
        (None, [], False, False, RETRIED),  # no connection, no answer in time
        (503, ["sorry, send it again"], False, False, RETRIED),
        (429, ["slow down"], False, False, THROTTLED),
        (500, [], False, False, UNEXPECTED),
        (400, [], False, False, UNEXPECTED),  # a customer's normal message refused
        (200, [], False, False, EMPTY),
        (200, [], False, True, QUIET),  # a person has the conversation: silence is right
        (200, ["Hi!"], False, False, ANSWERED),
        (200, ["Hi!"], False, True, ANSWERED),
        (200, ["I'm sorry, something went wrong"], True, False, APOLOGY),
    ],
)
def test_outcome_of_an_answer(
    status: int | None, texts: list[str], apology: bool, in_handoff: bool, expected: str
) -> None:
    assert outcome_of(status, texts, apology, in_handoff) == expected


def test_refused_is_not_an_outcome_of_a_customer_message() -> None:
    # Only the bad-input stream, which knows the 4xx it expects, says REFUSED.
    assert REFUSED not in {outcome_of(status, ["x"]) for status in (200, 400, 413, 503)}


def test_recovery_is_from_the_restart_to_the_first_normal_answer() -> None:
    fault = FaultRecord("database", "locked", started_at=10.0, restored_at=20.0)
    assert fault.recovery is None
    fault.recovered_at = 21.5
    assert fault.recovery == pytest.approx(1.5)
    fault.recovered_at = 19.0  # answered the moment it came back: never negative
    assert fault.recovery == 0.0


def test_the_journal_counts_from_its_own_start() -> None:
    clock = SecondsClock(100.0)
    journal = Journal(clock)
    clock.now = 102.5
    exchange = journal.exchange(REST, "site-a", 1.0, 200, ANSWERED)
    assert exchange.done_at == pytest.approx(2.5)
    journal.exchange(AGENT, "-", 2.0, 503, RETRIED)
    journal.error("something")
    assert journal.count(ANSWERED, RETRIED) == 2
    assert [e.client for e in journal.customer_exchanges()] == [REST]
    assert journal.errors == ["[   2.5s] something"]


def test_each_announced_handoff_counts_and_opens_a_new_wait() -> None:
    journal = Journal(SecondsClock(100.0))
    first = journal.handoff(REST, "site-a")
    first.resolved_seen = True
    again = journal.handoff(REST, "site-a")
    assert again is first and again.announced == 2 and not again.resolved_seen
    journal.fetched("site-a", ["joined", "hello"])
    journal.fetched("site-a", ["sorted"])
    assert journal.received["site-a"] == ["joined", "hello", "sorted"]


def test_a_message_is_one_record_however_often_it_is_sent() -> None:
    journal = Journal(SecondsClock(100.0))
    message = journal.message(REST, "site-a", "hi", "hi")
    message.attempts += 3
    assert journal.messages == [message] and not message.accepted
