"""bot/privacy/ticket_records.py: handoff tickets with their notes and history."""

from __future__ import annotations

from datetime import timedelta

from bot.privacy.records import Subject
from bot.privacy.ticket_records import TicketRecords
from tests.support.relay_data import MAYA, NOW


def test_tickets_are_found_by_conversation_customer_or_email(relay):
    tickets = TicketRecords()
    with relay.shop.connect() as connection:
        assert tickets.ids(connection, Subject(conversation_ids=frozenset({"rest-maya-app"}))) == [
            2
        ]
        assert tickets.ids(connection, Subject(customer_ids=frozenset({2}))) == [3]
        assert tickets.ids(connection, Subject(emails=frozenset({MAYA}))) == [1, 2]
        assert tickets.ids(connection, Subject()) == []
        assert tickets.conversations(connection, Subject(emails=frozenset({MAYA}))) == {
            "telegram-1001": [1],
            "rest-maya-app": [2],
        }


def test_export_carries_notes_history_and_the_decoded_snapshots(relay):
    with relay.shop.connect() as connection:
        section = TicketRecords().export(connection, Subject(customer_ids=frozenset({2})))
    assert section.counts == {"tickets": 1, "notes": 1, "history": 3}
    (ticket,) = section.records
    assert ticket["customer_email"] == "tom.becker@example.org"
    assert ticket["context"] == {"details": {}}
    assert [note["text"] for note in ticket["notes"]] == ["VIP"]
    assert [entry["event"] for entry in ticket["history"]] == ["created", "claimed", "note"]


def test_delete_takes_notes_and_history_along(relay):
    with relay.shop.begin() as connection:
        deleted = TicketRecords().delete(connection, Subject(emails=frozenset({MAYA})))
    assert deleted == {"tickets": 2, "notes": 1, "history": 6}
    with relay.shop.connect() as connection:
        assert (
            TicketRecords()
            .export(connection, Subject(customer_ids=frozenset({2})))
            .counts["history"]
            == 3
        )


def test_purge_takes_closed_tickets_only(relay):
    with relay.shop.begin() as connection:
        counts = TicketRecords().purge(connection, NOW + timedelta(days=1))
    assert counts == {"tickets": 1, "notes": 1, "history": 4}  # Maya's resolved one
