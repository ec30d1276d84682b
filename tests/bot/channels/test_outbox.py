"""bot/channels/outbox.py: messages for polled channels, fetched in order after a cursor."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from bot.channels.outbox import BATCH, Outbox
from bot.handoff.tickets import TicketStore
from bot.shop.repository import make_engine
from tests.support.clock import WallClock

START = datetime(2026, 11, 24, 11, 0)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    made = make_engine(f"sqlite:///{tmp_path / 'tickets.db'}")
    yield made
    made.dispose()


@pytest.fixture
def outbox(engine: Engine) -> Outbox:
    return Outbox(engine, clock=WallClock(START))


def test_pull_returns_messages_in_order_after_a_cursor(outbox: Outbox) -> None:
    first = outbox.push("web-1", {"text": "Hi, Alice here"})
    outbox.push("web-2", {"text": "someone else"})
    second = outbox.push("web-1", {"text": "Found it", "agent": "Alice"})
    assert first < second
    assert outbox.pull("web-1") == [
        {"id": first, "text": "Hi, Alice here"},
        {"id": second, "text": "Found it", "agent": "Alice"},
    ]
    assert outbox.pull("web-1", after=first) == [
        {"id": second, "text": "Found it", "agent": "Alice"}
    ]
    assert outbox.pull("web-1", after=second) == []
    assert outbox.pull("web-3") == []


def test_a_pull_is_one_batch_and_the_next_goes_on_from_its_last_id(outbox: Outbox) -> None:
    ids = [outbox.push("web-1", {"text": str(n)}) for n in range(BATCH + 5)]
    batch = outbox.pull("web-1")
    assert [message["id"] for message in batch] == ids[:BATCH]
    rest = outbox.pull("web-1", after=batch[-1]["id"])
    assert [message["text"] for message in rest] == [str(n) for n in range(BATCH, BATCH + 5)]


def test_messages_are_kept_in_the_handoff_outbox_table_with_their_time(
    outbox: Outbox, engine: Engine
) -> None:
    outbox.push("web-1", {"text": "Hi", "buttons": []})
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT conversation_id, payload_json, created_at FROM handoff_outbox")
        ).all()
    assert [(row[0], row[1]) for row in rows] == [("web-1", '{"text": "Hi", "buttons": []}')]
    assert str(rows[0][2]).startswith("2026-11-24 11:00:00")


def test_messages_survive_a_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tickets.db'}"
    engine = make_engine(url)
    message = Outbox(engine).push("web-1", {"text": "Hi"})
    engine.dispose()
    engine = make_engine(url)
    try:
        assert Outbox(engine).pull("web-1") == [{"id": message, "text": "Hi"}]
    finally:
        engine.dispose()


def test_it_shares_the_database_the_ticket_store_made(engine: Engine) -> None:
    TicketStore(engine)
    before = set(inspect(engine).get_table_names())
    outbox = Outbox(engine)
    assert set(inspect(engine).get_table_names()) == before and "handoff_outbox" in before
    assert outbox.pull("web-1", after=outbox.push("web-1", {"text": "Hi"})) == []
