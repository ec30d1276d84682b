"""Handoff tickets, with their agents' notes and their history, as personal data."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Table, func
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement, delete, or_, select

from bot.handoff.models import HistoryEntry, Note, Ticket
from bot.handoff.tickets import CLOSED_STATUSES
from bot.privacy.records import SHOP, Counts, Records, Section, Subject, chunks, has_table, record

TICKETS = Ticket.__table__
NOTES = Note.__table__
HISTORY = HistoryEntry.__table__


class TicketRecords:
    """Handoff tickets, with their agents' notes and their history."""

    name = "tickets"
    database = SHOP

    def _match(self, subject: Subject) -> ColumnElement[bool]:
        emails = sorted(subject.emails)
        return or_(
            TICKETS.c.conversation_id.in_(sorted(subject.conversation_ids)),
            TICKETS.c.customer_id.in_(sorted(subject.customer_ids)),
            func.lower(TICKETS.c.customer_email).in_(emails),
            func.lower(TICKETS.c.follow_up_email).in_(emails),
        )

    def ids(self, connection: Connection, subject: Subject) -> list[int]:
        """The ids of the subject's tickets."""
        if not has_table(connection, TICKETS):
            return []
        rows = connection.execute(select(TICKETS.c.id).where(self._match(subject)))
        return sorted(ticket_id for (ticket_id,) in rows)

    def conversations(self, connection: Connection, subject: Subject) -> dict[str, list[int]]:
        """The conversations of the subject's tickets, with the tickets of each."""
        found: dict[str, list[int]] = {}
        if not has_table(connection, TICKETS):
            return found
        rows = connection.execute(
            select(TICKETS.c.conversation_id, TICKETS.c.id).where(self._match(subject))
        )
        for conversation, ticket_id in rows:
            found.setdefault(conversation, []).append(ticket_id)
        return found

    def _children(self, connection: Connection, table: Table, ids: list[int]) -> dict[int, Records]:
        children: dict[int, Records] = {}
        for chunk in chunks(ids):
            rows = connection.execute(
                select(table).where(table.c.ticket_id.in_(chunk)).order_by(table.c.id)
            )
            for row in rows:
                children.setdefault(row.ticket_id, []).append(record(row))
        return children

    def export(self, connection: Connection, subject: Subject) -> Section:
        ids = self.ids(connection, subject)
        notes = self._children(connection, NOTES, ids)
        history = self._children(connection, HISTORY, ids)
        tickets = []
        for chunk in chunks(ids):
            for row in connection.execute(
                select(TICKETS).where(TICKETS.c.id.in_(chunk)).order_by(TICKETS.c.id)
            ):
                tickets.append(
                    {
                        **record(row),
                        "notes": notes.get(row.id, []),
                        "history": history.get(row.id, []),
                    }
                )
        counts = {
            "tickets": len(tickets),
            "notes": sum(len(rows) for rows in notes.values()),
            "history": sum(len(rows) for rows in history.values()),
        }
        return Section(tickets, counts)

    def _delete(self, connection: Connection, ids: list[int]) -> Counts:
        counts = {"tickets": 0, "notes": 0, "history": 0}
        for chunk in chunks(ids):
            for key, table in (("notes", NOTES), ("history", HISTORY)):
                deleted = connection.execute(delete(table).where(table.c.ticket_id.in_(chunk)))
                counts[key] += int(deleted.rowcount)
            deleted = connection.execute(delete(TICKETS).where(TICKETS.c.id.in_(chunk)))
            counts["tickets"] += int(deleted.rowcount)
        return counts

    def delete(self, connection: Connection, subject: Subject) -> Counts:
        return self._delete(connection, self.ids(connection, subject))

    def purge(self, connection: Connection, before: datetime) -> Counts:
        """Deletes the tickets closed before `before`; open tickets stay, however old."""
        if not has_table(connection, TICKETS):
            return {"tickets": 0, "notes": 0, "history": 0}
        rows = connection.execute(
            select(TICKETS.c.id).where(
                TICKETS.c.status.in_(CLOSED_STATUSES), TICKETS.c.closed_at < before
            )
        )
        return self._delete(connection, [ticket_id for (ticket_id,) in rows])
