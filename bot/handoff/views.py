"""What the ticket store hands out: typed records of a ticket, JSON-ready as they are.

They are TypedDicts, so a ticket is still the plain dict the console's API answers
with and the webhook sends (nothing to convert, the JSON unchanged), and mypy checks
every key a caller reads. Times are ISO 8601 strings with their offset.
"""

from __future__ import annotations

from typing import Any, TypedDict


class TicketCustomer(TypedDict):
    """Who the customer is, as far as the bot knew (all None for a visitor)."""

    id: int | None
    name: str | None
    email: str | None


class FollowUp(TypedDict):
    """A case the customer asked to be answered by email, by a date."""

    email: str
    by: str | None


class Csat(TypedDict):
    """The customer's rating of the help they got, 1 to 5."""

    score: int
    comment: str | None


class TicketSummary(TypedDict):
    """A ticket as the queue lists it (`TicketStore.queue`, `open_for`, `check_owner`)."""

    id: int
    conversation_id: str
    channel: str
    customer: TicketCustomer
    reason_code: str
    explanation: str
    priority: int
    priority_label: str
    status: str
    assignee: str | None
    created_at: str
    updated_at: str
    waiting_seconds: int
    summary: str
    follow_up: FollowUp | None
    unread: int
    csat: Csat | None


class NoteEntry(TypedDict):
    time: str
    agent: str
    text: str


class HistoryEntryView(TypedDict):
    time: str
    event: str
    agent: str | None
    detail: str


class EarlierTicket(TypedDict):
    """Another ticket of the same conversation or customer, opened before this one."""

    id: int
    created_at: str
    reason_code: str
    summary: str
    status: str
    csat_score: int | None


class TicketDetail(TicketSummary):
    """A ticket with everything an agent reads (`TicketStore.get` and every change)."""

    context: dict[str, Any]
    transcript: list[dict[str, Any]]
    notes: list[NoteEntry]
    history: list[HistoryEntryView]
    earlier_tickets: list[EarlierTicket]
