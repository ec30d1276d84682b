"""The outbox: messages waiting for a customer whose channel can't be pushed to.

REST and the website widget are polled: what reaches their customers out of turn (an
agent's words, the satisfaction question after a resolve) is kept here, in the
database every process shares (table `handoff_outbox`), until the customer's channel
fetches it after the last id it saw. Ids only grow, so they are the fetch cursor.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.handoff.models import OutboxMessage

BATCH = 100  # messages per pull; a client that gets a full batch asks again


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Outbox:
    """Keeps and hands out the messages of polled channels, in short transactions.

    Blocking (SQLAlchemy): async callers run it in a thread. Every call has its own
    session, so threads never share one.

    Args:
        engine: The database the tickets are in.
        clock: The current time, naive UTC (injectable for tests).
    """

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = utcnow) -> None:
        try:
            OutboxMessage.__table__.create(engine, checkfirst=True)
        except OperationalError:  # another process created it a moment ago
            OutboxMessage.__table__.create(engine, checkfirst=True)
        self._sessions = sessionmaker(engine, expire_on_commit=False, future=True)
        self._clock = clock

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        with self._sessions() as session, session.begin():
            yield session

    def push(self, conversation_id: str, payload: dict[str, Any]) -> int:
        """Keeps `payload` (a message as Rasa's output channels give it) for the
        conversation; returns its id."""
        with self._transaction() as session:
            row = OutboxMessage(
                conversation_id=conversation_id,
                payload_json=json.dumps(payload),
                created_at=self._clock(),
            )
            session.add(row)
            session.flush()
            return int(row.id)

    def pull(self, conversation_id: str, after: int = 0) -> list[dict[str, Any]]:
        """The conversation's messages after id `after`, oldest first, each with its `id`
        (at most BATCH of them)."""
        with self._transaction() as session:
            rows = (
                session.query(OutboxMessage)
                .filter(OutboxMessage.conversation_id == conversation_id, OutboxMessage.id > after)
                .order_by(OutboxMessage.id)
                .limit(BATCH)
                .all()
            )
            return [{"id": row.id, **json.loads(row.payload_json)} for row in rows]
