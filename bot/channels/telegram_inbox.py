"""The updates Telegram sent, recorded before they are acknowledged (table `telegram_updates`).

The webhook answers 200 only once an update is recorded here, so an update is never
lost between Telegram and Rasa: one recorded but not handled (a crash, the conversation
store down) is still here to be handled again. The table is also the dedupe every
process shares: an update_id is recorded once, by whichever process got it first.

Nobody else handles an update while one process works on it: recording or claiming a
row makes that process's inbox its `holder` until `due_at` (a lease, renewed while the
work goes on). A row whose lease ran out, or that was let go, is *due*: any process's
retry may claim it, so the updates of a process that crashed come due soon after.

A chat's updates are handled in update_id order by whichever processes hold them:
recording an update also counts the chat's earlier ones still unhandled (`record_in_line`,
in the same transaction), and `earlier` tells who holds those, for the queue to wait.

The table lives in the ticket database, on the handoff models' `Base`; nothing here
imports Rasa.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    String,
    Text,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.handoff.models import Base

LEASE = timedelta(seconds=30)  # how long a recorded or claimed update is held without renewal
KEPT = timedelta(days=1)  # Telegram re-sends an unacknowledged update for at most a day


class TelegramUpdate(Base):
    """One update as Telegram sent it, and how handling it went."""

    __tablename__ = "telegram_updates"

    update_id = Column(BigInteger, primary_key=True, autoincrement=False)
    chat = Column(String(64), nullable=False, index=True)  # for ordering: the chat's updates
    payload_json = Column(Text, nullable=False)
    received_at = Column(DateTime, nullable=False, index=True)
    handled_at = Column(DateTime, index=True)  # None: not handled yet
    attempts = Column(Integer, nullable=False, default=0)  # that failed
    due_at = Column(DateTime, nullable=False)  # held by whoever recorded or claimed it until then
    holder = Column(String(32))  # the inbox that holds it; None once let go
    failure = Column(Text)  # why it was given up; None when it was handled


# Built once: recording an update runs these on every update, and building them costs
# more than running them.
_INSERT = insert(TelegramUpdate)
_BEFORE = (
    TelegramUpdate.chat == bindparam("chat"),
    TelegramUpdate.update_id < bindparam("update_id"),
    TelegramUpdate.handled_at.is_(None),
    TelegramUpdate.received_at >= bindparam("since"),
)
_COUNT_EARLIER = select(func.count()).select_from(TelegramUpdate).where(*_BEFORE)
_EARLIER = select(TelegramUpdate).where(*_BEFORE).order_by(TelegramUpdate.update_id)


def _earlier(update_id: int, chat: str, since: datetime) -> dict[str, Any]:
    """The parameters of `_BEFORE`: the chat's updates before `update_id` since `since`."""
    return {"chat": chat, "update_id": update_id, "since": since}


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


@dataclass(frozen=True)
class RecordedUpdate:
    """A recorded update, as `Inbox.unhandled` and `Inbox.get` read it.

    Attributes:
        update_id: Telegram's id of the update.
        chat: The chat it belongs to (its updates are handled in update_id order).
        payload: The update's JSON, as Telegram sent it.
        received_at: When it was recorded (UTC).
        attempts: How many times handling it failed.
        due: Whether nobody holds it (its lease ran out), so a retry may claim it.
        mine: Whether the inbox that read it holds it.
        elsewhere: Whether another inbox holds it (its lease has not run out).
        handled_at: When it was handled or given up; None until then.
        failure: Why it was given up; None if it was not.
    """

    update_id: int
    chat: str
    payload: dict[str, Any]
    received_at: datetime
    attempts: int = 0
    due: bool = False
    mine: bool = False
    elsewhere: bool = False
    handled_at: datetime | None = None
    failure: str | None = None


def _view(row: TelegramUpdate, now: datetime, holder: str) -> RecordedUpdate:
    held = row.handled_at is None and row.due_at > now and row.holder is not None
    return RecordedUpdate(
        update_id=int(row.update_id),
        chat=row.chat,
        payload=json.loads(row.payload_json),
        received_at=row.received_at,
        attempts=int(row.attempts),
        due=row.handled_at is None and row.due_at <= now,
        mine=held and row.holder == holder,
        elsewhere=held and row.holder != holder,
        handled_at=row.handled_at,
        failure=row.failure,
    )


class Inbox:
    """Records Telegram's updates and what became of them, in short transactions.

    Every method may raise SQLAlchemyError when the database can't be reached; none
    touches the database before it is first called.

    Args:
        engine: The ticket database's engine.
        clock: The current time, naive UTC (injectable for tests).
        lease: How long recording or claiming an update holds it.
        holder: Who holds what this inbox records or claims: one per process (a random id).
    """

    def __init__(
        self,
        engine: Engine,
        clock: Callable[[], datetime] = utcnow,
        lease: timedelta = LEASE,
        holder: str | None = None,
    ) -> None:
        self.holder = holder or uuid.uuid4().hex
        self._engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False, future=True)
        self._clock = clock
        self._lease = lease
        self._schema = threading.Lock()
        self._created = False

    @property
    def lease(self) -> timedelta:
        """How long recording or claiming an update holds it (renew before it runs out)."""
        return self._lease

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        if not self._created:
            with self._schema:
                if not self._created:
                    try:
                        TelegramUpdate.__table__.create(self._engine, checkfirst=True)
                    except OperationalError:  # another process created it a moment ago
                        TelegramUpdate.__table__.create(self._engine, checkfirst=True)
                    self._created = True
        with self._sessions() as session, session.begin():
            yield session

    def record(self, update_id: int, chat: str, payload: dict[str, Any]) -> bool:
        """Records a new update, held by the caller for a lease.

        Returns:
            False if the update was already recorded (a duplicate, perhaps from another
            process): whoever recorded it first handles it.
        """
        return self.record_in_line(update_id, chat, payload) is not None

    def record_in_line(
        self,
        update_id: int,
        chat: str,
        payload: dict[str, Any],
        within: timedelta = KEPT,
    ) -> int | None:
        """Records a new update, held by the caller for a lease, and counts what is before it.

        Args:
            within: Only earlier updates recorded this recently are counted.

        Returns:
            How many earlier updates of the chat, recorded in the last `within`, are not
            handled yet (by any process); None if the update was already recorded (a
            duplicate, perhaps from another process): whoever recorded it first handles it.
        """
        now = self._clock()
        row = {
            "update_id": update_id,
            "chat": chat,
            "payload_json": json.dumps(payload, ensure_ascii=False),
            "received_at": now,
            "attempts": 0,
            "due_at": now + self._lease,
            "holder": self.holder,
        }
        try:
            with self._transaction() as session:
                session.execute(_INSERT, row)
                before = session.execute(_COUNT_EARLIER, _earlier(update_id, chat, now - within))
                return int(before.scalar_one())
        except IntegrityError:
            return None

    def _set(self, update_ids: Iterable[int], *conditions: Any, **values: Any) -> int:
        ids = list(update_ids)
        if not ids:
            return 0
        with self._transaction() as session:
            result = session.execute(
                update(TelegramUpdate)
                .where(TelegramUpdate.update_id.in_(ids), TelegramUpdate.handled_at.is_(None))
                .where(*conditions)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
        return int(result.rowcount or 0)

    def claim(self, update_id: int) -> bool:
        """Holds a due update for a lease; False if somebody holds it or it was handled."""
        now = self._clock()
        claimed = self._set(
            [update_id], TelegramUpdate.due_at <= now, due_at=now + self._lease, holder=self.holder
        )
        return claimed == 1

    def renew(self, update_ids: Iterable[int]) -> None:
        """Holds these updates, still being worked on, for another lease.

        Only those this inbox still holds: one it let go a moment ago stays let go.
        """
        now = self._clock()
        self._set(update_ids, TelegramUpdate.holder == self.holder, due_at=now + self._lease)

    def release(self, update_id: int) -> None:
        """Lets go of an update without trying it, so that a retry may claim it at once."""
        self._set([update_id], due_at=self._clock(), holder=None)

    def handled(self, update_id: int) -> None:
        """Marks an update handled: Rasa took its message (or there was nothing to take)."""
        self._set([update_id], handled_at=self._clock(), failure=None, holder=None)

    def failed(self, update_id: int, retry_in: timedelta) -> int:
        """Counts a failed attempt and lets the update go; it is due again after `retry_in`.

        Returns:
            How many attempts have failed so far.
        """
        now = self._clock()
        with self._transaction() as session:
            session.execute(
                update(TelegramUpdate)
                .where(TelegramUpdate.update_id == update_id)
                .values(attempts=TelegramUpdate.attempts + 1, due_at=now + retry_in, holder=None)
                .execution_options(synchronize_session=False)
            )
            row = session.get(TelegramUpdate, update_id)
            return int(row.attempts) if row is not None else 0

    def give_up(self, update_id: int, failure: str) -> None:
        """Marks an update handled with a failure, so that nobody tries it again."""
        self._set([update_id], handled_at=self._clock(), failure=failure, holder=None)

    def unhandled(self, max_age: timedelta) -> list[RecordedUpdate]:
        """The updates recorded in the last `max_age` and not handled yet, in update_id order."""
        now = self._clock()
        with self._transaction() as session:
            rows = (
                session.query(TelegramUpdate)
                .filter(
                    TelegramUpdate.handled_at.is_(None),
                    TelegramUpdate.received_at >= now - max_age,
                )
                .order_by(TelegramUpdate.update_id)
                .all()
            )
            return [_view(row, now, self.holder) for row in rows]

    def earlier(self, update_id: int, chat: str, within: timedelta) -> list[RecordedUpdate]:
        """The chat's updates before `update_id`, recorded in the last `within` and not
        handled yet, in update_id order (with who holds them)."""
        now = self._clock()
        with self._transaction() as session:
            rows = session.execute(_EARLIER, _earlier(update_id, chat, now - within)).scalars()
            return [_view(row, now, self.holder) for row in rows]

    def forget(self, older_than: timedelta = KEPT) -> int:
        """Deletes the updates handled (or recorded and never handled) before `older_than` ago.

        Telegram stops re-sending an update after a day, so they can't be duplicates anymore.

        Returns:
            How many were deleted.
        """
        cutoff = self._clock() - older_than
        with self._transaction() as session:
            result = session.execute(
                delete(TelegramUpdate)
                .where(
                    or_(
                        TelegramUpdate.handled_at < cutoff,
                        TelegramUpdate.received_at < cutoff,
                    )
                )
                .execution_options(synchronize_session=False)
            )
        return int(result.rowcount or 0)

    def get(self, update_id: int) -> RecordedUpdate | None:
        """One recorded update, handled or not; None if it was never recorded (or forgotten)."""
        with self._transaction() as session:
            row = session.get(TelegramUpdate, update_id)
            return None if row is None else _view(row, self._clock(), self.holder)
