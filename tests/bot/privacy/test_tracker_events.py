"""bot/privacy/tracker_events.py: conversations in Rasa's SQL tracker store."""

from __future__ import annotations

from datetime import timedelta

from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy import select

from bot.privacy.records import Subject
from bot.privacy.tracker_events import EVENTS, TrackerEvents, epoch
from tests.support.relay_data import NOW


def test_the_events_table_is_rasas():
    rasa = SQLTrackerStore.SQLEvent.__table__
    assert EVENTS.name == rasa.name
    assert [(column.name, type(column.type)) for column in EVENTS.columns] == [
        (column.name, type(column.type)) for column in rasa.columns
    ]


def test_epoch_is_how_rasa_stores_time():
    assert epoch(NOW) == 1795518000.0


def test_a_conversation_keeps_rasas_order_and_a_readable_transcript(relay):
    subject = Subject(conversation_ids=frozenset({"telegram-1001", "rest-nobody"}))
    with relay.tracker.engine.connect() as connection:
        section = TrackerEvents().export(connection, subject)
    assert section.counts == {"conversations": 1, "events": 4}
    (conversation,) = section.records
    assert conversation["conversation_id"] == "telegram-1001"
    assert [event["event"] for event in conversation["events"]] == [
        "action",
        "session_started",
        "user",
        "bot",
    ]
    assert [(turn["speaker"], turn["text"]) for turn in conversation["messages"]] == [
        ("customer", "where is my order?"),
        ("bot", "It is on its way."),
    ]
    assert conversation["first_event"] == "2026-11-24T11:00:00+00:00"
    assert conversation["last_event"] == "2026-11-24T11:00:02+00:00"


def test_delete_counts_conversations_and_events(relay):
    subject = Subject(conversation_ids=frozenset({"telegram-1001", "site-web-maya", "rest-x"}))
    with relay.tracker.engine.begin() as connection:
        assert TrackerEvents().delete(connection, subject) == {"conversations": 2, "events": 8}
    with relay.tracker.engine.connect() as connection:
        senders = set(connection.execute(select(EVENTS.c.sender_id).distinct()).scalars())
    assert "telegram-1001" not in senders and "telegram-1002" in senders


def test_purge_goes_by_the_last_event(relay):
    relay.converse("telegram-1002", "still there?", at=NOW + timedelta(days=3))
    with relay.tracker.engine.begin() as connection:
        counts = TrackerEvents().purge(connection, NOW + timedelta(days=1))
    assert counts["conversations"] == 6  # all but Tom's, which went on
    with relay.tracker.engine.connect() as connection:
        left = connection.execute(select(EVENTS.c.sender_id).distinct()).scalars().all()
    assert left == ["telegram-1002"]
