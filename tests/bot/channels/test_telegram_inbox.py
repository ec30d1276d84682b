"""bot/channels/telegram_inbox.py: recorded updates in a real SQLite file, on a hand-moved clock."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.exc import OperationalError

from bot.channels.telegram_inbox import LEASE, Inbox
from bot.shop.repository import make_engine
from tests.support.clock import WallClock
from tests.support.sqlite import impatient_engine, locked

HOUR = timedelta(hours=1)


@pytest.fixture
def clock() -> WallClock:
    return WallClock()


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'shop.db'}"


@pytest.fixture
def inbox(url: str, clock: WallClock) -> Inbox:
    return Inbox(make_engine(url), clock=clock)


def update(update_id: int, text: str = "hi", chat: int = 1001) -> dict[str, object]:
    return {"update_id": update_id, "message": {"chat": {"id": chat}, "text": text}}


def test_an_update_is_recorded_once(inbox: Inbox) -> None:
    assert inbox.record(1, "1001", update(1)) is True
    assert inbox.record(1, "1001", update(1)) is False
    [recorded] = inbox.unhandled(HOUR)
    assert (recorded.update_id, recorded.chat, recorded.attempts) == (1, "1001", 0)


def test_two_processes_share_the_dedupe(url: str, clock: WallClock) -> None:
    first, second = Inbox(make_engine(url), clock), Inbox(make_engine(url), clock)
    assert first.record(7, "1001", update(7))
    assert not second.record(7, "1001", update(7))
    [seen_by_first], [seen_by_second] = first.unhandled(HOUR), second.unhandled(HOUR)
    assert (seen_by_first.update_id, seen_by_first.mine) == (7, True)
    assert (seen_by_second.update_id, seen_by_second.mine) == (7, False)


def test_the_payload_comes_back_as_it_was_sent(inbox: Inbox) -> None:
    payload = update(3, text="Grüße 🙂 where is my order?")
    inbox.record(3, "1001", payload)
    assert inbox.unhandled(HOUR)[0].payload == payload


def test_recording_counts_the_chats_earlier_updates_still_unhandled(
    inbox: Inbox, clock: WallClock
) -> None:
    assert inbox.record_in_line(10, "1001", update(10)) == 0
    clock.advance(hours=2)  # 10 is older than an hour from here on
    assert inbox.record_in_line(11, "1001", update(11)) == 1
    assert inbox.record_in_line(12, "1002", update(12, chat=1002)) == 0  # another chat
    assert inbox.record_in_line(13, "1001", update(13), within=HOUR) == 1  # 11, not 10
    inbox.handled(11)
    assert inbox.record_in_line(14, "1001", update(14), within=HOUR) == 1  # 13
    assert inbox.record_in_line(14, "1001", update(14)) is None  # a duplicate
    assert inbox.record_in_line(9, "1001", update(9)) == 0  # later ids are not before it


def test_earlier_says_who_holds_the_chats_earlier_updates(
    url: str, inbox: Inbox, clock: WallClock
) -> None:
    other = Inbox(make_engine(url), clock)
    inbox.record(1, "1001", update(1))
    other.record(2, "1001", update(2))
    other.record(3, "1001", update(3))
    other.failed(3, timedelta(seconds=60))  # waits for a retry, held by nobody
    inbox.record(4, "1002", update(4, chat=1002))
    seen = inbox.earlier(5, "1001", HOUR)
    assert [(u.update_id, u.mine, u.elsewhere, u.due) for u in seen] == [
        (1, True, False, False),
        (2, False, True, False),
        (3, False, False, False),
    ]
    assert [u.update_id for u in inbox.earlier(3, "1001", HOUR)] == [1, 2]
    other.handled(2)
    clock.advance(seconds=LEASE.total_seconds())  # 1's lease ran out
    assert [(u.update_id, u.mine, u.due) for u in inbox.earlier(5, "1001", HOUR)] == [
        (1, False, True),
        (3, False, False),
    ]
    assert [u.elsewhere for u in other.earlier(5, "1001", HOUR)] == [False, False]
    clock.advance(hours=1)
    assert inbox.earlier(5, "1001", HOUR) == []  # too old to wait for


def test_the_table_is_made_on_first_use_not_before(url: str, clock: WallClock) -> None:
    engine = make_engine(url)
    inbox = Inbox(engine, clock)
    assert "telegram_updates" not in inspect(engine).get_table_names()
    inbox.record(1, "1001", update(1))
    assert "telegram_updates" in inspect(engine).get_table_names()


def test_unhandled_is_in_update_id_order_and_leaves_out_handled_and_old(
    inbox: Inbox, clock: WallClock
) -> None:
    inbox.record(10, "1001", update(10))  # two hours old by the end
    clock.advance(hours=2)
    for update_id in (13, 11, 12):
        inbox.record(update_id, "1001", update(update_id))
    inbox.handled(12)
    assert [u.update_id for u in inbox.unhandled(HOUR)] == [11, 13]
    assert [u.update_id for u in inbox.unhandled(3 * HOUR)] == [10, 11, 13]


def test_a_recorded_update_is_held_for_a_lease(inbox: Inbox, clock: WallClock) -> None:
    inbox.record(1, "1001", update(1))
    assert not inbox.unhandled(HOUR)[0].due
    assert not inbox.claim(1)  # the recorder holds it
    clock.advance(seconds=LEASE.total_seconds())
    assert inbox.unhandled(HOUR)[0].due
    assert inbox.claim(1)
    assert not inbox.claim(1)  # now the claimer holds it
    assert not inbox.unhandled(HOUR)[0].due


def test_a_renewed_lease_keeps_the_update_held(inbox: Inbox, clock: WallClock) -> None:
    inbox.record(1, "1001", update(1))
    clock.advance(seconds=20)
    inbox.renew([1])
    clock.advance(seconds=20)  # 40 s after recording, 20 after the renewal
    assert not inbox.unhandled(HOUR)[0].due
    clock.advance(seconds=10)
    assert inbox.unhandled(HOUR)[0].due


def test_only_the_holder_renews_and_not_what_it_let_go(
    url: str, inbox: Inbox, clock: WallClock
) -> None:
    other = Inbox(make_engine(url), clock)
    inbox.record(1, "1001", update(1))
    inbox.record(2, "1001", update(2))
    inbox.failed(2, timedelta(0))  # let go, for a retry at once
    clock.advance(seconds=LEASE.total_seconds())
    other.renew([1])  # not its update
    inbox.renew([2])  # a renewal that raced the failure: it must not hold the update again
    assert [u.due for u in inbox.unhandled(HOUR)] == [True, True]


def test_a_released_update_is_due_at_once(inbox: Inbox) -> None:
    inbox.record(1, "1001", update(1))
    inbox.release(1)
    assert inbox.unhandled(HOUR)[0].due and inbox.claim(1)


def test_a_failure_is_counted_and_the_update_waits(inbox: Inbox, clock: WallClock) -> None:
    inbox.record(1, "1001", update(1))
    assert inbox.failed(1, timedelta(seconds=4)) == 1
    clock.advance(seconds=3)
    [waiting] = inbox.unhandled(HOUR)
    assert (waiting.attempts, waiting.due) == (1, False)
    clock.advance(seconds=1)
    assert inbox.unhandled(HOUR)[0].due
    assert inbox.claim(1)
    assert inbox.failed(1, timedelta(0)) == 2


def test_handled_and_given_up_updates_are_done(inbox: Inbox, clock: WallClock) -> None:
    inbox.record(1, "1001", update(1))
    inbox.record(2, "1001", update(2))
    inbox.handled(1)
    inbox.give_up(2, "given up after 10 attempts: conversation unreadable")
    assert inbox.unhandled(HOUR) == []
    handled, given_up = inbox.get(1), inbox.get(2)
    assert handled is not None and given_up is not None
    assert (handled.handled_at, handled.failure) == (clock.now, None)
    assert given_up.failure == "given up after 10 attempts: conversation unreadable"
    assert not inbox.claim(1) and not given_up.due
    assert inbox.get(3) is None


def test_updates_older_than_a_day_are_forgotten(inbox: Inbox, clock: WallClock) -> None:
    inbox.record(1, "1001", update(1))
    inbox.handled(1)
    inbox.record(2, "1001", update(2))  # never handled
    clock.advance(hours=12)
    inbox.record(3, "1001", update(3))
    inbox.handled(3)
    clock.advance(hours=12, seconds=1)
    assert inbox.forget() == 2
    assert inbox.get(1) is None and inbox.get(2) is None
    assert inbox.get(3) is not None
    assert inbox.record(3, "1001", update(3)) is False  # still a duplicate


def test_a_database_that_cannot_be_written_raises(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    inbox = Inbox(impatient_engine(path))
    inbox.unhandled(HOUR)  # the table exists
    with locked(path), pytest.raises(OperationalError):
        inbox.record(1, "1001", update(1))
    assert inbox.record(1, "1001", update(1))  # once the lock is gone
