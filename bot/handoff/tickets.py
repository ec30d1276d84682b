"""The ticket store: creates handoff tickets and moves them through their life.

waiting -> assigned (claimed) -> resolved, or -> returned_to_bot at any point.
Methods return typed, JSON-ready records (bot/handoff/views.py), so the action server,
the console API and tests share them without SQLAlchemy leaking out. Rule violations raise a
`TicketError` whose subclass says what went wrong (no such ticket, a conflicting
state, an agent who may not, an invalid request); the web layer decides what that
means in HTTP (bot/console/responses.py).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from statistics import median
from typing import Any

from sqlalchemy import text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.handoff.models import (
    ONE_OPEN_TICKET,
    OPEN_STATUSES,
    AgentPresence,
    Base,
    HistoryEntry,
    Note,
    Ticket,
)
from bot.handoff.views import TicketDetail, TicketSummary
from bot.privacy.redact import redact

logger = logging.getLogger(__name__)

PRIORITY_LABELS = {1: "urgent", 2: "high", 3: "normal"}
CLOSED_STATUSES = ("resolved", "returned_to_bot")
MAX_TEXT = 4000
# Ticket ids are the database's 64-bit integers; a larger one names no ticket (and SQLite
# would raise OverflowError on it).
MAX_ID = 2**63 - 1
OWNERSHIP_EVENTS = ("claimed", "transferred")


class TicketError(Exception):
    """A ticket operation that is not allowed; the subclass says why, `message` explains it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TicketNotFound(TicketError):
    """No ticket has that id."""


class TicketConflict(TicketError):
    """The ticket's state does not allow it (closed, someone else's, changed a moment ago)."""


class NotAllowed(TicketError):
    """The agent may not do that to the ticket (they have not claimed it)."""


class InvalidRequest(TicketError):
    """What was asked makes no sense (an empty note, a rating out of range)."""


class TextTooLong(InvalidRequest):
    """A text longer than `MAX_TEXT` characters."""


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def iso(moment: datetime) -> str:
    """A stored (naive UTC) time as ISO 8601 with its offset."""
    return moment.replace(tzinfo=timezone.utc).isoformat()


def create_schema(engine: Engine) -> None:
    """Creates the handoff tables if missing (two processes may race on a fresh SQLite file),
    and the one-open-ticket index on a database made before it existed."""
    try:
        Base.metadata.create_all(engine)
    except OperationalError:
        Base.metadata.create_all(engine)
    try:
        ONE_OPEN_TICKET.create(engine, checkfirst=True)
    except (IntegrityError, OperationalError) as error:  # older data with duplicates
        logger.error("one open ticket per conversation is not enforced yet: %s", error)


def _unread(transcript: list[dict[str, Any]]) -> int:
    """Customer turns since an agent last wrote."""
    count = 0
    for turn in transcript:
        if turn.get("speaker") == "agent":
            count = 0
        elif turn.get("speaker") == "customer":
            count += 1
    return count


class TicketStore:
    """Reads and changes tickets in short transactions."""

    def __init__(
        self, engine: Engine, clock: Callable[[], datetime] = utcnow, redaction: bool = False
    ) -> None:
        create_schema(engine)
        self._sessions = sessionmaker(engine, expire_on_commit=False, future=True)
        self._clock = clock
        self._redaction = redaction

    def _kept(self, text: str) -> str:
        """Free text as it is stored: with emails, phones and cards redacted if asked."""
        return redact(text) if self._redaction else text

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        with self._sessions() as session, session.begin():
            yield session

    def ping(self) -> None:
        """Raises unless the ticket database answers (for readiness checks)."""
        with self._sessions() as session:
            session.execute(text("SELECT 1"))

    def _ticket(self, session: Session, ticket_id: int) -> Ticket:
        if not 0 < ticket_id <= MAX_ID:  # not echoed: it may have thousands of digits
            raise TicketNotFound("No such ticket")
        row: Ticket | None = session.get(Ticket, ticket_id)
        if row is None:
            raise TicketNotFound(f"No ticket {ticket_id}")
        return row

    def _log(
        self, session: Session, row: Ticket, event: str, agent: str | None, detail: str = ""
    ) -> None:
        now = self._clock()
        row.updated_at = now
        session.add(
            HistoryEntry(ticket_id=row.id, event=event, agent=agent, detail=detail, created_at=now)
        )

    # Views

    def _summary(self, row: Ticket) -> TicketSummary:
        transcript = json.loads(row.transcript_json or "[]")
        end = row.closed_at or self._clock()
        return {
            "id": row.id,
            "conversation_id": row.conversation_id,
            "channel": row.channel,
            "customer": {
                "id": row.customer_id,
                "name": row.customer_name,
                "email": row.customer_email,
            },
            "reason_code": row.reason_code,
            "explanation": row.explanation,
            "priority": row.priority,
            "priority_label": PRIORITY_LABELS.get(row.priority, "normal"),
            "status": row.status,
            "assignee": row.assignee,
            "created_at": iso(row.created_at),
            "updated_at": iso(row.updated_at),
            "waiting_seconds": int(((row.claimed_at or end) - row.created_at).total_seconds()),
            "summary": row.summary,
            "follow_up": (
                {
                    "email": row.follow_up_email,
                    "by": row.follow_up_by.isoformat() if row.follow_up_by else None,
                }
                if row.follow_up_email
                else None
            ),
            "unread": _unread(transcript) if row.status in OPEN_STATUSES else 0,
            "csat": {"score": row.csat_score, "comment": row.csat_comment}
            if row.csat_score
            else None,
        }

    def _detail(self, session: Session, row: Ticket) -> TicketDetail:
        earlier = (
            session.query(Ticket)
            .filter(Ticket.id != row.id, Ticket.created_at <= row.created_at)
            .filter(
                (Ticket.conversation_id == row.conversation_id)
                | ((Ticket.customer_id == row.customer_id) & (Ticket.customer_id.isnot(None)))
            )
            .order_by(Ticket.created_at.desc())
            .limit(10)
            .all()
        )
        return {
            **self._summary(row),
            "context": json.loads(row.context_json or "{}"),
            "transcript": json.loads(row.transcript_json or "[]"),
            "notes": [
                {"time": iso(note.created_at), "agent": note.agent, "text": note.text}
                for note in row.notes
            ],
            "history": [
                {
                    "time": iso(entry.created_at),
                    "event": entry.event,
                    "agent": entry.agent,
                    "detail": entry.detail,
                }
                for entry in row.history
            ],
            "earlier_tickets": [
                {
                    "id": other.id,
                    "created_at": iso(other.created_at),
                    "reason_code": other.reason_code,
                    "summary": other.summary,
                    "status": other.status,
                    "csat_score": other.csat_score,
                }
                for other in earlier
            ],
        }

    # Creating and finding

    def create(
        self,
        *,
        conversation_id: str,
        channel: str,
        reason_code: str,
        explanation: str,
        priority: int,
        summary: str,
        context: dict[str, Any],
        transcript: list[dict[str, Any]],
        customer: dict[str, Any] | None = None,
        follow_up_email: str | None = None,
        follow_up_by: datetime | None = None,
    ) -> TicketDetail:
        """Opens a ticket, or returns the conversation's open one (one open ticket each)."""
        customer = customer or {}
        now = self._clock()
        row = Ticket(
            conversation_id=conversation_id,
            channel=channel or "rest",
            customer_id=customer.get("id"),
            customer_name=customer.get("name"),
            customer_email=customer.get("email"),
            reason_code=reason_code,
            explanation=explanation,
            priority=priority,
            status="waiting",
            summary=summary,
            context_json=json.dumps(context),
            transcript_json=json.dumps(transcript),
            follow_up_email=follow_up_email,
            follow_up_by=follow_up_by,
            created_at=now,
            updated_at=now,
        )
        try:
            return self._insert(row)
        except IntegrityError:  # another process opened it a moment ago: that one counts
            existing = self.open_for(conversation_id)
            if existing is None:
                raise
            return self.get(existing["id"])

    def _insert(self, row: Ticket) -> TicketDetail:
        with self._transaction() as session:
            existing = (
                session.query(Ticket)
                .filter(
                    Ticket.conversation_id == row.conversation_id,
                    Ticket.status.in_(OPEN_STATUSES),
                )
                .first()
            )
            if existing is not None:
                return self._detail(session, existing)
            session.add(row)
            session.flush()
            self._log(session, row, "created", None, row.explanation)
            return self._detail(session, row)

    def get(self, ticket_id: int) -> TicketDetail:
        with self._transaction() as session:
            return self._detail(session, self._ticket(session, ticket_id))

    def open_for(self, conversation_id: str) -> TicketSummary | None:
        """The conversation's waiting or assigned ticket, if any."""
        with self._transaction() as session:
            row = (
                session.query(Ticket)
                .filter(Ticket.conversation_id == conversation_id, Ticket.status.in_(OPEN_STATUSES))
                .first()
            )
            return self._summary(row) if row else None

    def latest_for(self, conversation_id: str) -> TicketSummary | None:
        with self._transaction() as session:
            row = (
                session.query(Ticket)
                .filter(Ticket.conversation_id == conversation_id)
                .order_by(Ticket.id.desc())
                .first()
            )
            return self._summary(row) if row else None

    def queue(self, status: str = "open") -> list[TicketSummary]:
        """Open tickets by priority then waiting time; `status="all"` adds the closed ones."""
        with self._transaction() as session:
            query = session.query(Ticket)
            if status == "open":
                query = query.filter(Ticket.status.in_(OPEN_STATUSES))
                query = query.order_by(Ticket.priority, Ticket.created_at)
            else:
                query = query.order_by(Ticket.created_at.desc())
            return [self._summary(row) for row in query.limit(500).all()]

    def position(self, ticket_id: int) -> int:
        """1-based place of a waiting ticket in the queue (0 when it is not waiting)."""
        with self._transaction() as session:
            row = self._ticket(session, ticket_id)
            if row.status != "waiting":
                return 0
            ahead: int = (
                session.query(Ticket)
                .filter(Ticket.status == "waiting", Ticket.id != row.id)
                .filter(
                    (Ticket.priority < row.priority)
                    | (
                        (Ticket.priority == row.priority)
                        & (
                            (Ticket.created_at < row.created_at)
                            | ((Ticket.created_at == row.created_at) & (Ticket.id < row.id))
                        )
                    )
                )
                .count()
            )
            return ahead + 1

    def handle_seconds(self, default: float, sample: int = 20) -> float:
        """Median time from claim to close of recent tickets, or `default`."""
        with self._transaction() as session:
            rows = (
                session.query(Ticket.claimed_at, Ticket.closed_at)
                .filter(Ticket.claimed_at.isnot(None), Ticket.closed_at.isnot(None))
                .order_by(Ticket.closed_at.desc())
                .limit(sample)
                .all()
            )
        durations = [(closed - claimed).total_seconds() for claimed, closed in rows]
        return median(durations) if durations else default

    # Agents' operations

    def claim(self, ticket_id: int, agent: str, take_over: bool = False) -> TicketDetail:
        """Assigns the ticket to `agent`, if nobody else has it (or `take_over`, for admins).

        Compare-and-set: of two agents claiming at once, one wins and the other gets
        TicketConflict.
        """
        with self._transaction() as session:
            row = self._ticket(session, ticket_id)
            if row.status not in OPEN_STATUSES:
                raise TicketConflict(f"Ticket is already {row.status.replace('_', ' ')}")
            previous = row.assignee
            if row.status == "assigned" and previous not in (None, agent) and not take_over:
                raise TicketConflict(f"{previous} has this ticket; ask them to transfer it")
            now = self._clock()
            changed = session.execute(
                update(Ticket)
                .where(
                    Ticket.id == ticket_id,
                    Ticket.status == row.status,
                    Ticket.assignee.is_(None) if previous is None else Ticket.assignee == previous,
                )
                .values(status="assigned", assignee=agent, claimed_at=row.claimed_at or now)
                .execution_options(synchronize_session=False)
            )
            if changed.rowcount != 1:
                raise TicketConflict("Someone else claimed this ticket a moment ago")
            session.refresh(row)
            detail = f"from {previous}" if previous and previous != agent else ""
            self._log(session, row, "claimed", agent, detail)
            return self._detail(session, row)

    def held_by(self, ticket: TicketDetail, agent: str) -> bool:
        """Whether `agent` has, or ever had, the ticket (what an agent may open): they are its
        assignee, claimed it, or transferred it or had it transferred to them. Other history
        (a note, say) is no ownership, or a note would open a colleague's case."""
        if ticket["assignee"] == agent:
            return True
        return any(
            entry["event"] in OWNERSHIP_EVENTS
            and (entry["agent"] == agent or entry["detail"] == f"to {agent}")
            for entry in ticket.get("history") or []
        )

    def _own(self, session: Session, ticket_id: int, agent: str) -> Ticket:
        row = self._ticket(session, ticket_id)
        if row.status not in OPEN_STATUSES:
            raise TicketConflict(f"Ticket is already {row.status.replace('_', ' ')}")
        if row.assignee != agent:
            raise NotAllowed("Claim the ticket first")
        return row

    def check_owner(self, ticket_id: int, agent: str) -> TicketSummary:
        """The ticket, if `agent` may act on it (it is open and assigned to them)."""
        with self._transaction() as session:
            return self._summary(self._own(session, ticket_id, agent))

    def undelivered(self, ticket_id: int, agent: str, reason: str) -> None:
        """Records in the history that an agent's reply did not reach the customer."""
        with self._transaction() as session:
            row = self._ticket(session, ticket_id)
            self._log(session, row, "not_delivered", agent, reason[:300])

    def replied(self, ticket_id: int, agent: str, text: str) -> TicketDetail:
        with self._transaction() as session:
            row = self._own(session, ticket_id, agent)
            self._log(session, row, "replied", agent, self._kept(text[:200]))
            return self._detail(session, row)

    def note(self, ticket_id: int, agent: str, text: str) -> TicketDetail:
        text = self._kept(text.strip()[:MAX_TEXT])
        if not text:
            raise InvalidRequest("The note is empty")
        with self._transaction() as session:
            row = self._ticket(session, ticket_id)
            session.add(Note(ticket_id=row.id, agent=agent, text=text, created_at=self._clock()))
            self._log(session, row, "note", agent)
            session.flush()
            session.refresh(row)
            return self._detail(session, row)

    def transfer(
        self, ticket_id: int, agent: str, to: str, any_owner: bool = False
    ) -> TicketDetail:
        """Gives the ticket to `to`: by its owner, or by an admin (`any_owner`)."""
        with self._transaction() as session:
            row = (
                self._ticket(session, ticket_id)
                if any_owner
                else self._own(session, ticket_id, agent)
            )
            if row.status not in OPEN_STATUSES:
                raise TicketConflict(f"Ticket is already {row.status.replace('_', ' ')}")
            if to == row.assignee:
                raise InvalidRequest(f"The ticket is already {to}'s")
            self._swap(session, row, status="assigned", assignee=to)
            self._log(session, row, "transferred", agent, f"to {to}")
            return self._detail(session, row)

    def _swap(self, session: Session, row: Ticket, **values: Any) -> None:
        """Changes the row only if nobody changed its status or assignee since it was read."""
        previous = row.assignee
        changed = session.execute(
            update(Ticket)
            .where(
                Ticket.id == row.id,
                Ticket.status == row.status,
                Ticket.assignee.is_(None) if previous is None else Ticket.assignee == previous,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if changed.rowcount != 1:
            raise TicketConflict("The ticket changed a moment ago; have another look")
        session.refresh(row)

    def close(
        self,
        ticket_id: int,
        agent: str | None,
        status: str,
        only_if: str | None = None,
        any_owner: bool = False,
    ) -> TicketDetail:
        """Resolves the ticket or returns it to the bot (`status`).

        Args:
            agent: Who closes it; None for the customer ("never mind").
            only_if: The status the ticket must still have (the customer can withdraw a
                ticket only while it waits: one an agent just claimed stays theirs).
            any_owner: An admin may close a colleague's ticket.
        """
        if status not in CLOSED_STATUSES:
            raise ValueError(f"a ticket closes as one of {CLOSED_STATUSES}, not {status!r}")
        with self._transaction() as session:
            row = self._ticket(session, ticket_id)
            if row.status not in OPEN_STATUSES or (only_if and row.status != only_if):
                raise TicketConflict(f"Ticket is already {row.status.replace('_', ' ')}")
            if agent is not None and row.assignee not in (None, agent) and not any_owner:
                raise NotAllowed("The ticket is assigned to someone else")
            self._swap(session, row, status=status, closed_at=self._clock())
            self._log(session, row, status, agent)
            return self._detail(session, row)

    def update_transcript(
        self,
        ticket_id: int,
        transcript: list[dict[str, Any]],
        context: dict[str, Any] | None = None,
    ) -> None:
        """Refreshes the stored snapshot (only writes when something changed)."""
        encoded = json.dumps(transcript)
        with self._transaction() as session:
            row = self._ticket(session, ticket_id)
            if row.transcript_json != encoded:
                row.transcript_json = encoded
                if context is not None:
                    row.context_json = json.dumps(context)

    def record_csat(self, ticket_id: int, score: int, comment: str | None) -> TicketDetail:
        if not 1 <= score <= 5:
            raise InvalidRequest("A rating is 1 to 5")
        with self._transaction() as session:
            row = self._ticket(session, ticket_id)
            row.csat_score, row.csat_comment = score, (self._kept(comment) if comment else None)
            self._log(session, row, "csat", None, str(score))
            return self._detail(session, row)

    # Presence

    def touch_agent(self, username: str) -> None:
        with self._transaction() as session:
            row = session.get(AgentPresence, username)
            if row is None:
                session.add(AgentPresence(username=username, last_seen=self._clock()))
            else:
                row.last_seen = self._clock()

    def online_agents(self, within_seconds: float) -> list[str]:
        since = self._clock() - timedelta(seconds=within_seconds)
        with self._transaction() as session:
            rows = session.query(AgentPresence.username).filter(AgentPresence.last_seen >= since)
            return sorted(username for (username,) in rows)

    def sign_out(self, username: str) -> None:
        with self._transaction() as session:
            row = session.get(AgentPresence, username)
            if row is not None:
                session.delete(row)
