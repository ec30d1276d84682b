"""Conversations: the events Rasa's SQL tracker store keeps, by sender id."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timezone

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, func
from sqlalchemy.engine import Connection
from sqlalchemy.sql import delete, select

from bot.handoff.context import transcript
from bot.privacy.records import TRACKER, Counts, Records, Section, Subject, chunks, has_table

# Rasa's `events` table (rasa.core.tracker_store.SQLTrackerStore.SQLEvent), declared
# here so that reading it needs no Rasa import; a test checks the two agree.
EVENTS = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


def epoch(moment: datetime) -> float:
    """A naive UTC time as the seconds since 1970 that Rasa stores in `events.timestamp`."""
    return moment.replace(tzinfo=timezone.utc).timestamp()


def _time(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).isoformat()


class TrackerEvents:
    """Conversations: every event Rasa's tracker store keeps for a sender id."""

    name = "conversations"
    database = TRACKER

    def events(self, connection: Connection, senders: Iterable[str]) -> dict[str, Records]:
        """The events of each sender that has any, in the order Rasa wrote them."""
        found: dict[str, Records] = {}
        if not has_table(connection, EVENTS):
            return found
        for chunk in chunks(senders):
            rows = connection.execute(
                select(EVENTS.c.sender_id, EVENTS.c.data)
                .where(EVENTS.c.sender_id.in_(chunk))
                .order_by(EVENTS.c.sender_id, EVENTS.c.id)
            )
            for sender, data in rows:
                found.setdefault(sender, []).append(json.loads(data or "{}"))
        return found

    def export(self, connection: Connection, subject: Subject) -> Section:
        conversations = []
        found = self.events(connection, subject.conversation_ids)
        for sender, events in sorted(found.items()):
            times = [event["timestamp"] for event in events if event.get("timestamp")]
            conversations.append(
                {
                    "conversation_id": sender,
                    "first_event": _time(min(times)) if times else None,
                    "last_event": _time(max(times)) if times else None,
                    "messages": transcript(events, redaction=False),
                    "events": events,
                }
            )
        counts = {
            "conversations": len(conversations),
            "events": sum(len(events) for events in found.values()),
        }
        return Section(conversations, counts)

    def _delete(self, connection: Connection, senders: Iterable[str]) -> Counts:
        counts = {"conversations": 0, "events": 0}
        if not has_table(connection, EVENTS):
            return counts
        for chunk in chunks(senders):
            present = connection.execute(
                select(func.count(func.distinct(EVENTS.c.sender_id))).where(
                    EVENTS.c.sender_id.in_(chunk)
                )
            ).scalar_one()
            deleted = connection.execute(delete(EVENTS).where(EVENTS.c.sender_id.in_(chunk)))
            counts["conversations"] += int(present)
            counts["events"] += int(deleted.rowcount)
        return counts

    def delete(self, connection: Connection, subject: Subject) -> Counts:
        return self._delete(connection, subject.conversation_ids)

    def purge(self, connection: Connection, before: datetime) -> Counts:
        """Deletes whole conversations whose last event is older than `before`."""
        if not has_table(connection, EVENTS):
            return {"conversations": 0, "events": 0}
        stale = connection.execute(
            select(EVENTS.c.sender_id)
            .group_by(EVENTS.c.sender_id)
            .having(func.max(EVENTS.c.timestamp) < epoch(before))
        )
        return self._delete(connection, [sender for (sender,) in stale])
