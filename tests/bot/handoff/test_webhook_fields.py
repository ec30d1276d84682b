"""bot/handoff/webhook_fields.py: which ticket fields the webhook may send."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.handoff.tickets import TicketStore
from bot.handoff.webhook_fields import (
    DEFAULT_FIELDS,
    FIELDS,
    TOP_LEVEL,
    UnknownWebhookField,
    parse_fields,
    pick,
)
from bot.shop.repository import make_engine
from tests.support.tickets import open_ticket

TICKET: dict[str, Any] = {
    "id": 7,
    "conversation_id": "telegram-123456789",
    "channel": "telegram",
    "customer": {"id": 1, "name": "Maya Patel", "email": "maya.patel@example.com"},
    "reason_code": "request_human",
    "explanation": "Maya asked for a person about her card",
    "priority": 2,
    "priority_label": "high",
    "status": "resolved",
    "assignee": "alice",
    "created_at": "2026-11-24T11:00:00+00:00",
    "updated_at": "2026-11-24T11:20:00+00:00",
    "waiting_seconds": 95,
    "summary": "Order 100240 late; card 4111...",
    "follow_up": {"email": "maya.patel@example.com", "by": "2026-11-25T09:00:00"},
    "unread": 0,
    "csat": {"score": 4, "comment": "Alice was kind, call me on 555-0100"},
    "context": {"details": {"order_id": "100240"}},
    "transcript": [{"speaker": "customer", "text": "my card details are 4111..."}],
    "notes": [{"agent": "alice", "text": "Maya lives at 1 Main St"}],
    "history": [{"event": "replied", "agent": "alice", "detail": "Hi Maya"}],
    "earlier_tickets": [{"id": 3, "summary": "Maya's earlier return"}],
}
PERSONAL = ("Maya", "maya.patel", "telegram-123456789", "4111", "555-0100", "Main St")


def test_by_default_no_personal_data_is_sent() -> None:
    assert parse_fields(None) == DEFAULT_FIELDS
    sent = pick(TICKET, DEFAULT_FIELDS)
    assert sent == {
        "id": 7,
        "channel": "telegram",
        "reason_code": "request_human",
        "priority": 2,
        "priority_label": "high",
        "status": "resolved",
        "assignee": "alice",
        "created_at": "2026-11-24T11:00:00+00:00",
        "updated_at": "2026-11-24T11:20:00+00:00",
        "waiting_seconds": 95,
        "unread": 0,
        "csat": {"score": 4},
    }
    assert not any(word in repr(sent) for word in PERSONAL)


@pytest.mark.parametrize("setting", ["", "  ", " , ,", None])
def test_an_empty_setting_means_the_default(setting: str | None) -> None:
    assert parse_fields(setting) == DEFAULT_FIELDS


def test_all_sends_every_field() -> None:
    assert parse_fields("all") == FIELDS
    assert parse_fields(" ALL ") == FIELDS
    assert pick(TICKET, parse_fields("all")) == TICKET


def test_a_list_sends_those_fields_and_the_id() -> None:
    fields = parse_fields("status, customer.email,csat,transcript")
    assert fields == ("id", "status", "customer.email", "csat", "transcript")
    assert pick(TICKET, fields) == {
        "id": 7,
        "customer": {"email": "maya.patel@example.com"},
        "status": "resolved",
        "csat": TICKET["csat"],
        "transcript": TICKET["transcript"],
    }


def test_names_are_trimmed_lowered_and_counted_once() -> None:
    assert parse_fields(" Status ,status,ID") == ("id", "status")


def test_a_parent_name_sends_the_whole_object() -> None:
    assert pick(TICKET, parse_fields("customer"))["customer"] == TICKET["customer"]


def test_an_empty_or_odd_nested_object_stays_null() -> None:
    ticket = {"id": 1, "csat": None, "follow_up": None, "customer": "Maya"}
    assert pick(ticket, parse_fields("csat.score,follow_up.by,customer.name")) == {
        "id": 1,
        "csat": None,
        "follow_up": None,
        "customer": None,
    }


def test_fields_the_ticket_lacks_are_left_out() -> None:
    summary = {key: value for key, value in TICKET.items() if key != "transcript"}
    assert "transcript" not in pick(summary, parse_fields("transcript"))
    assert pick({"id": 1, "reason": "Wants a person"}, FIELDS) == {"id": 1}


def test_unknown_names_are_an_error_that_names_them() -> None:
    with pytest.raises(UnknownWebhookField) as raised:
        parse_fields("status,emial,customer.phone")
    assert raised.value.unknown == ["emial", "customer.phone"]
    message = str(raised.value)
    assert message.startswith(
        "RELAY_WEBHOOK_FIELDS names unknown ticket fields: emial, customer.phone"
    )
    assert "customer.email" in message and "all" in message
    assert isinstance(raised.value, ValueError)


def test_every_field_of_a_real_ticket_is_named(tmp_path: Path) -> None:
    """A new ticket field must be named here, so sending it is a decision."""
    engine = make_engine(f"sqlite:///{tmp_path / 'tickets.db'}")
    try:
        ticket = open_ticket(TicketStore(engine))
    finally:
        engine.dispose()
    assert set(ticket) == set(TOP_LEVEL)
    assert set(DEFAULT_FIELDS) <= set(FIELDS)
