"""SQLAlchemy schema of handoff tickets, kept in the same database as the shop's data.

A ticket is one handoff of one conversation to a person. Its transcript and the
bot's summary are stored as JSON snapshots, so a ticket stays readable even when
the tracker store is cleaned up; every change is also an entry in its history.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import declarative_base, relationship

# SQLAlchemy 1.4 has no type information: the declarative base is Any to mypy, and declared so
# (a plain variable would not be accepted as a base class).
Base: Any = declarative_base()

STATUSES = ("waiting", "assigned", "resolved", "returned_to_bot")
OPEN_STATUSES = ("waiting", "assigned")
OPEN = text("status IN ('waiting', 'assigned')")


class Ticket(Base):
    __tablename__ = "handoff_tickets"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    channel = Column(String(64), nullable=False, default="rest")
    customer_id = Column(Integer)
    customer_name = Column(String(120))
    customer_email = Column(String(254))
    reason_code = Column(String(64), nullable=False)
    explanation = Column(Text, nullable=False, default="")
    priority = Column(Integer, nullable=False, default=3)
    status = Column(String(32), nullable=False, default="waiting", index=True)
    assignee = Column(String(64))
    summary = Column(Text, nullable=False, default="")
    context_json = Column(Text, nullable=False, default="{}")
    transcript_json = Column(Text, nullable=False, default="[]")
    follow_up_email = Column(String(254))
    follow_up_by = Column(DateTime)
    csat_score = Column(Integer)
    csat_comment = Column(Text)
    created_at = Column(DateTime, nullable=False)
    updated_at = Column(DateTime, nullable=False)
    claimed_at = Column(DateTime)
    closed_at = Column(DateTime)
    agent_seen_turns = Column(Integer, nullable=False, default=0)

    notes = relationship("Note", back_populates="ticket", order_by="Note.id")
    history = relationship("HistoryEntry", back_populates="ticket", order_by="HistoryEntry.id")


# One open ticket per conversation, held by the database itself (SQLite and PostgreSQL
# both know partial indexes), so two processes racing to open one can't both succeed.
ONE_OPEN_TICKET = Index(
    "ux_handoff_open_ticket_per_conversation",
    Ticket.conversation_id,
    unique=True,
    sqlite_where=OPEN,
    postgresql_where=OPEN,
)


class Note(Base):
    """An internal note by an agent; never shown to the customer."""

    __tablename__ = "handoff_notes"

    id = Column(Integer, primary_key=True)
    ticket_id = Column(Integer, ForeignKey("handoff_tickets.id"), nullable=False, index=True)
    agent = Column(String(64), nullable=False)
    text = Column(Text, nullable=False)
    created_at = Column(DateTime, nullable=False)

    ticket = relationship("Ticket", back_populates="notes")


class HistoryEntry(Base):
    """Something that happened to a ticket: created, claimed, replied, transferred, ..."""

    __tablename__ = "handoff_history"

    id = Column(Integer, primary_key=True)
    ticket_id = Column(Integer, ForeignKey("handoff_tickets.id"), nullable=False, index=True)
    event = Column(String(32), nullable=False)
    agent = Column(String(64))
    detail = Column(Text, nullable=False, default="")
    created_at = Column(DateTime, nullable=False)

    ticket = relationship("Ticket", back_populates="history")


class AgentPresence(Base):
    """When an agent was last seen in the console (agents online = seen recently)."""

    __tablename__ = "handoff_agent_presence"

    username = Column(String(64), primary_key=True)
    last_seen = Column(DateTime, nullable=False)


class OutboxMessage(Base):
    """A message for a customer whose channel cannot be pushed to (REST): fetched by polling."""

    __tablename__ = "handoff_outbox"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    payload_json = Column(Text, nullable=False)
    created_at = Column(DateTime, nullable=False)


class ConsoleSession(Base):
    """A signed-in console session; the token itself is never stored, only its SHA-256."""

    __tablename__ = "console_sessions"

    token_hash = Column(String(64), primary_key=True)
    username = Column(String(64), nullable=False, index=True)
    stamp = Column(String(16), nullable=False)  # of the password hash it was issued under
    created_at = Column(DateTime, nullable=False)
    expires_at = Column(DateTime, nullable=False, index=True)


class WebhookDelivery(Base):
    """A ticket event waiting to be POSTed to RELAY_WEBHOOK_URL, or already sent.

    Any process may send a due row; `locked_until` is its lease while one does.
    """

    __tablename__ = "webhook_deliveries"

    id = Column(Integer, primary_key=True)
    event = Column(String(64), nullable=False)
    body = Column(Text, nullable=False)  # the JSON POSTed, exactly as signed
    created_at = Column(DateTime, nullable=False)
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(DateTime, nullable=False, index=True)
    delivered_at = Column(DateTime)
    last_error = Column(Text)
    locked_until = Column(DateTime)
    failed_at = Column(DateTime)
