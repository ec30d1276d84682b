"""bot/handoff/deliveries.py: the webhook's deliveries in the database, claimed with a lease."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from bot.handoff.deliveries import Deliveries, Retry
from bot.handoff.tickets import TicketStore
from bot.shop.repository import make_engine
from tests.support.clock import WallClock

START = datetime(2026, 11, 24, 11, 0, 0)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'tickets.db'}")
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> WallClock:
    return WallClock(START)


@pytest.fixture
def deliveries(engine: Engine, clock: WallClock) -> Deliveries:
    return Deliveries(engine, clock)


def test_backoff_doubles_from_two_seconds_up_to_ten_minutes() -> None:
    retry = Retry()
    assert [retry.backoff(n) for n in range(1, 12)] == [
        2,
        4,
        8,
        16,
        32,
        64,
        128,
        256,
        512,
        600,
        600,
    ]


def test_the_table_joins_a_ticket_database_made_before_it(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        TicketStore(engine)
        Deliveries(engine)
        assert "webhook_deliveries" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_a_new_delivery_is_pending_and_due_at_once(deliveries: Deliveries) -> None:
    assert not deliveries.pending()
    assert deliveries.due() == []
    assert deliveries.next_due_at() is None
    first = deliveries.add("ticket.created", '{"event": "ticket.created"}')
    second = deliveries.add("ticket.claimed", '{"event": "ticket.claimed"}')
    assert deliveries.pending()
    assert deliveries.due() == [first, second]
    assert deliveries.next_due_at() == START
    row = deliveries.get(first)
    assert row is not None
    assert (row.event, row.body, row.attempts) == (
        "ticket.created",
        '{"event": "ticket.created"}',
        0,
    )
    assert (row.created_at, row.next_attempt_at) == (START, START)
    assert (row.delivered_at, row.failed_at, row.locked_until, row.last_error) == (None,) * 4


def test_a_claim_is_a_lease_that_counts_the_attempt(
    deliveries: Deliveries, clock: WallClock
) -> None:
    delivery_id = deliveries.add("ticket.created", "{}")
    claimed = deliveries.claim(delivery_id, lease_seconds=60)
    assert claimed is not None
    assert (claimed.id, claimed.event, claimed.body, claimed.attempts) == (
        delivery_id,
        "ticket.created",
        "{}",
        1,
    )
    row = deliveries.get(delivery_id)
    assert row is not None and row.locked_until == START + timedelta(seconds=60)
    # Held: nobody else claims it, and it is not due, until the lease ends.
    assert deliveries.claim(delivery_id, lease_seconds=60) is None
    assert deliveries.due() == []
    assert deliveries.next_due_at() == START + timedelta(seconds=60)
    clock.advance(seconds=61)  # its sender died
    assert deliveries.due() == [delivery_id]
    again = deliveries.claim(delivery_id, lease_seconds=60)
    assert again is not None and again.attempts == 2


def test_of_two_processes_claiming_at_once_exactly_one_gets_the_row(
    tmp_path: Path, clock: WallClock
) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    engines = [make_engine(url) for _ in range(6)]
    try:
        stores = [Deliveries(engine, clock) for engine in engines]
        delivery_id = stores[0].add("ticket.created", "{}")
        start = threading.Barrier(len(stores))
        outcomes: list[bool] = []

        def claim(store: Deliveries = stores[0]) -> None:
            start.wait()
            outcomes.append(store.claim(delivery_id, lease_seconds=60) is not None)

        threads = [threading.Thread(target=claim, args=(store,)) for store in stores]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=20)
        assert sorted(outcomes) == [False] * (len(stores) - 1) + [True]
    finally:
        for engine in engines:
            engine.dispose()


def test_a_delivered_row_is_done(deliveries: Deliveries) -> None:
    delivery_id = deliveries.add("ticket.created", "{}")
    assert deliveries.claim(delivery_id, lease_seconds=60) is not None
    deliveries.delivered(delivery_id)
    row = deliveries.get(delivery_id)
    assert row is not None
    assert (row.delivered_at, row.locked_until, row.attempts) == (START, None, 1)
    assert not deliveries.pending()
    assert deliveries.due() == []
    assert deliveries.claim(delivery_id, lease_seconds=60) is None
    assert not deliveries.give_up(delivery_id, "late")


def test_a_failed_try_waits_for_its_next_attempt(deliveries: Deliveries, clock: WallClock) -> None:
    delivery_id = deliveries.add("ticket.created", "{}")
    assert deliveries.claim(delivery_id, lease_seconds=60) is not None
    deliveries.retry_later(delivery_id, "HTTP 503", delay_seconds=4)
    row = deliveries.get(delivery_id)
    assert row is not None
    assert (row.last_error, row.locked_until, row.attempts) == ("HTTP 503", None, 1)
    assert deliveries.due() == []
    assert deliveries.next_due_at() == START + timedelta(seconds=4)
    clock.advance(seconds=4)
    assert deliveries.due() == [delivery_id]


def test_a_long_error_is_cut(deliveries: Deliveries) -> None:
    delivery_id = deliveries.add("ticket.created", "{}")
    deliveries.retry_later(delivery_id, "x" * 2000, delay_seconds=1)
    row = deliveries.get(delivery_id)
    assert row is not None and row.last_error == "x" * 500


def test_giving_up_marks_the_row_failed_once(deliveries: Deliveries) -> None:
    delivery_id = deliveries.add("ticket.created", "{}")
    assert deliveries.claim(delivery_id, lease_seconds=60) is not None
    assert deliveries.give_up(delivery_id, "HTTP 500")
    assert not deliveries.give_up(delivery_id, "HTTP 500")
    row = deliveries.get(delivery_id)
    assert row is not None
    assert (row.failed_at, row.delivered_at, row.locked_until, row.last_error) == (
        START,
        None,
        None,
        "HTTP 500",
    )
    assert not deliveries.pending()
    assert deliveries.due() == []
    assert deliveries.claim(delivery_id, lease_seconds=60) is None


def test_due_rows_come_oldest_first_and_in_batches(
    deliveries: Deliveries, clock: WallClock
) -> None:
    ids = []
    for number in range(5):
        ids.append(deliveries.add("ticket.created", f'{{"n": {number}}}'))
        clock.advance(seconds=1)
    deliveries.retry_later(ids[0], "HTTP 503", delay_seconds=10)
    assert deliveries.due(limit=3) == ids[1:4]
    assert deliveries.due() == ids[1:]
