"""The outgoing webhook's deliveries, kept in the ticket database until they are sent.

A delivery is stored when its event happens and stays until a POST of it succeeds
or it has been tried `max_attempts` times, so a restart or a helpdesk that is down
for a while loses nothing. Every process may send any due delivery: a worker first
claims it with a compare-and-set lease (`locked_until`), so two processes never send
the same row at once, and a row whose sender died is taken up when its lease ends.
Delivery is at least once: a process that dies between the POST and marking the row
delivered leaves it to be sent again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from bot.handoff.models import WebhookDelivery
from bot.handoff.tickets import create_schema, utcnow

MAX_ERROR = 500
_PENDING = and_(WebhookDelivery.delivered_at.is_(None), WebhookDelivery.failed_at.is_(None))


def _unleased(now: datetime) -> ColumnElement:
    """Nobody holds the row: never claimed, or the last claim's lease has ended."""
    return or_(WebhookDelivery.locked_until.is_(None), WebhookDelivery.locked_until < now)


@dataclass(frozen=True)
class Retry:
    """How deliveries are attempted; tests shorten every duration.

    Attributes:
        timeout_seconds: Of one POST (connecting and waiting for the answer).
        max_attempts: Tries before a delivery is marked failed (20: about two hours).
        first_backoff_seconds: Wait after the first failure; it doubles after each one.
        max_backoff_seconds: Longest wait between two tries.
        lease_seconds: How long a claim keeps other workers off a row; longer than a POST.
        poll_seconds: How often an idle worker looks for rows other processes left.
    """

    timeout_seconds: float = 10.0
    max_attempts: int = 20
    first_backoff_seconds: float = 2.0
    max_backoff_seconds: float = 600.0
    lease_seconds: float = 60.0
    poll_seconds: float = 30.0

    def backoff(self, attempts: int) -> float:
        """Seconds to wait after the `attempts`-th failed try: 2, 4, 8 ... capped."""
        return min(
            self.first_backoff_seconds * 2.0 ** max(attempts - 1, 0), self.max_backoff_seconds
        )


@dataclass(frozen=True)
class Delivery:
    """A claimed delivery: what to POST, and how many tries it has had, this one included."""

    id: int
    event: str
    body: str
    attempts: int


class Deliveries:
    """The deliveries table, in short transactions (see the module docstring)."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = utcnow) -> None:
        create_schema(engine)
        self._sessions = sessionmaker(engine, future=True)
        self._clock = clock

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        with self._sessions() as session, session.begin():
            yield session

    def add(self, event: str, body: str) -> int:
        """Stores a delivery, due at once; returns its id (one INSERT)."""
        now = self._clock()
        with self._transaction() as session:
            row = WebhookDelivery(
                event=event, body=body, created_at=now, attempts=0, next_attempt_at=now
            )
            session.add(row)
            session.flush()
            return int(row.id)

    def pending(self) -> bool:
        """Whether any delivery is neither delivered nor failed."""
        with self._transaction() as session:
            found = session.execute(select(WebhookDelivery.id).where(_PENDING).limit(1)).first()
            return found is not None

    def due(self, limit: int = 20) -> list[int]:
        """Ids of pending deliveries whose time has come and that nobody holds, oldest first."""
        now = self._clock()
        with self._transaction() as session:
            query = (
                select(WebhookDelivery.id)
                .where(_PENDING, WebhookDelivery.next_attempt_at <= now, _unleased(now))
                .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
                .limit(limit)
            )
            return [int(row_id) for row_id in session.execute(query).scalars()]

    def next_due_at(self) -> datetime | None:
        """When the earliest pending delivery can be tried (held ones: when the lease ends)."""
        now = self._clock()
        ready = case(
            (WebhookDelivery.locked_until > now, WebhookDelivery.locked_until),
            else_=WebhookDelivery.next_attempt_at,
        )
        with self._transaction() as session:
            due: datetime | None = session.execute(select(func.min(ready)).where(_PENDING)).scalar()
            return due

    def claim(self, delivery_id: int, lease_seconds: float) -> Delivery | None:
        """Leases the delivery to the caller and counts the try, or None if someone has it.

        Compare-and-set: the UPDATE changes the row only while it is pending and nobody's
        lease runs, so of two workers claiming at once exactly one gets it.
        """
        now = self._clock()
        with self._transaction() as session:
            changed = session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == delivery_id, _PENDING, _unleased(now))
                .values(
                    locked_until=now + timedelta(seconds=lease_seconds),
                    attempts=WebhookDelivery.attempts + 1,
                )
                .execution_options(synchronize_session=False)
            )
            if changed.rowcount != 1:
                return None
            row = session.get(WebhookDelivery, delivery_id)
            assert row is not None
            return Delivery(id=row.id, event=row.event, body=row.body, attempts=row.attempts)

    def delivered(self, delivery_id: int) -> None:
        with self._transaction() as session:
            session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == delivery_id)
                .values(delivered_at=self._clock(), locked_until=None)
                .execution_options(synchronize_session=False)
            )

    def retry_later(self, delivery_id: int, error: str, delay_seconds: float) -> None:
        """Records a failed try and when to try again (the lease ends now)."""
        due = self._clock() + timedelta(seconds=delay_seconds)
        with self._transaction() as session:
            session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == delivery_id, _PENDING)
                .values(next_attempt_at=due, locked_until=None, last_error=error[:MAX_ERROR])
                .execution_options(synchronize_session=False)
            )

    def give_up(self, delivery_id: int, error: str) -> bool:
        """Marks the delivery failed for good; False if it already was (or was delivered)."""
        with self._transaction() as session:
            changed = session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == delivery_id, _PENDING)
                .values(failed_at=self._clock(), locked_until=None, last_error=error[:MAX_ERROR])
                .execution_options(synchronize_session=False)
            )
            return bool(changed.rowcount == 1)

    def get(self, delivery_id: int) -> WebhookDelivery | None:
        """The row as stored (for tests and inspection)."""
        with self._transaction() as session:
            row: WebhookDelivery | None = session.get(WebhookDelivery, delivery_id)
            if row is not None:
                session.expunge(row)
            return row
