"""bot/privacy/records.py: rows as JSON-ready records."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import create_engine

from bot.handoff.models import Ticket
from bot.privacy.records import Subject, chunks, has_table, plain, record


def test_plain_values():
    assert plain(datetime(2026, 11, 24, 11, 0)) == "2026-11-24T11:00:00"
    assert plain(date(2026, 11, 24)) == "2026-11-24"
    assert plain(Decimal("12.50")) == "12.50"
    assert plain(None) is None
    assert plain("text") == "text"


def test_json_columns_are_decoded_and_renamed():
    class Row:
        _mapping = {"id": 3, "payload_json": '{"text": "hi"}', "note": "x_json"}

    assert record(Row()) == {"id": 3, "payload": {"text": "hi"}, "note": "x_json"}


def test_chunks_are_sorted_and_bounded():
    assert list(chunks([5, 3, 1, 4, 2], size=2)) == [[1, 2], [3, 4], [5]]
    assert list(chunks([])) == []


def test_has_table(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}", future=True)
    with engine.connect() as connection:
        assert not has_table(connection, Ticket.__table__)
    Ticket.__table__.create(engine)
    with engine.connect() as connection:
        assert has_table(connection, Ticket.__table__)
    engine.dispose()


def test_an_empty_subject_is_nobody():
    nobody = Subject()
    assert not (nobody.conversation_ids or nobody.customer_ids or nobody.emails or nobody.clients)
    assert nobody.found_through == {}
