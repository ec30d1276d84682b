"""Opening a handoff ticket in a test, with everything a real one has."""

from __future__ import annotations

from typing import Any

from bot.handoff.tickets import TicketStore


def open_ticket(
    store: TicketStore, conversation_id: str = "rest-web-1", **fields: Any
) -> dict[str, Any]:
    """A waiting ticket for `conversation_id` (fields override the defaults)."""
    values: dict[str, Any] = {
        "channel": "rest",
        "reason_code": "request_human",
        "explanation": "Asked for a person",
        "priority": 2,
        "summary": "Asked for a person",
        "context": {},
        "transcript": [],
        **fields,
    }
    return store.create(conversation_id=conversation_id, **values)
