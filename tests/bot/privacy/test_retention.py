"""bot/privacy/retention.py: chat data older than the retention period is purged."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.handoff.models import HistoryEntry, Note, OutboxMessage, Ticket
from bot.privacy.retention import cutoff, purge
from bot.privacy.tracker_events import EVENTS
from bot.shop.models import LookupAttempt
from tests.support.relay_data import NOW, relay_databases

OLD = NOW - timedelta(days=40)
RECENT = NOW - timedelta(days=10)


@pytest.fixture
def aged(tmp_path):
    relay = relay_databases(tmp_path)
    relay.converse("rest-old", "hello", "bot: hi", at=OLD)
    relay.converse("rest-recent", "hello", at=RECENT)
    relay.converse("rest-started-long-ago", "first", at=OLD)
    relay.converse("rest-started-long-ago", "and again", at=RECENT)  # appended: last is recent
    relay.ticket("rest-old", at=OLD - timedelta(days=1), closed_after=timedelta(hours=1), note="n")
    relay.ticket("rest-recent", at=OLD, closed_after=timedelta(days=30))  # closed 10 days ago
    relay.ticket("rest-started-long-ago", at=OLD - timedelta(days=60))  # still open
    relay.push("rest-old", "old message", at=OLD)
    relay.push("rest-recent", "recent message", at=RECENT)
    # Recording forgets what is older than an hour before it: the recent one goes first.
    relay.look_up("rest-recent", None, "100245", at=RECENT)
    relay.look_up("rest-old", "ip:1.2.3.4", "100231", at=OLD)
    yield relay
    relay.close()


def senders(aged) -> set[str]:
    with aged.tracker.engine.connect() as connection:
        return set(connection.execute(select(EVENTS.c.sender_id).distinct()).scalars())


def column(aged, attribute) -> list:
    with aged.shop.connect() as connection:
        return list(connection.execute(select(attribute).order_by(attribute)).scalars())


def test_purge_deletes_what_is_older_than_the_retention_period(aged):
    counts = purge(aged.engines, 30, clock=aged.clock)

    assert counts == {
        "conversations": 1,
        "events": 4,
        "tickets": 1,
        "notes": 1,
        "history": 4,
        "outbox": 1,
        "lookup_counters": 2,
        "telegram_updates": 0,
        "webhook_deliveries": 0,
    }
    assert senders(aged) == {"rest-recent", "rest-started-long-ago"}
    assert column(aged, Ticket.conversation_id) == ["rest-recent", "rest-started-long-ago"]
    assert column(aged, Note.text) == []
    assert len(column(aged, HistoryEntry.id)) == 3 + 2  # created, claimed (, resolved)
    assert column(aged, OutboxMessage.payload_json) == ['{"text": "recent message"}']
    assert column(aged, LookupAttempt.key) == ["conversation:rest-recent"]


def test_a_conversation_goes_whole_once_its_last_event_is_old(aged):
    purge(aged.engines, 5, clock=aged.clock)
    assert senders(aged) == set()
    # The open ticket stays, however old; the recently closed one is now old enough.
    assert column(aged, Ticket.conversation_id) == ["rest-started-long-ago"]


def test_a_longer_period_keeps_everything(aged):
    counts = purge(aged.engines, 365, clock=aged.clock)
    assert set(counts.values()) == {0}
    assert len(senders(aged)) == 3


def test_purging_again_finds_nothing_more(aged):
    purge(aged.engines, 30, clock=aged.clock)
    assert set(purge(aged.engines, 30, clock=aged.clock).values()) == {0}


def test_the_cutoff():
    assert cutoff(30, datetime(2026, 11, 24)) == datetime(2026, 10, 25)
    for days in (0, -1):
        with pytest.raises(ValueError, match="1 day or more"):
            cutoff(days, NOW)
