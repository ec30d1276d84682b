"""How many orders a visitor may look up: a brake on guessing order numbers and emails.

A six-digit order number is guessable, so a visitor (a conversation the channel did
not identify) counts every order number they look up and every email that didn't
match the order. Past the limit per conversation, or per client (their address or
chat user, so new conversations don't reset it), the bot stops looking for a while
and says why. Counts live in the shop's database, which every process shares.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.shop.models import LookupAttempt

MAX_KEY = 300
MAX_SUBJECT = 80


@dataclass(frozen=True)
class Limits:
    """At most `per_conversation` / `per_client` look-ups in any `window`."""

    per_conversation: int = 5
    per_client: int = 20
    window: timedelta = timedelta(hours=1)


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def keys(conversation: str, client: str | None) -> dict[str, str]:
    """The counters a look-up is charged to, by the kind of limit that applies."""
    charged = {"conversation": f"conversation:{conversation}"[:MAX_KEY]}
    if client:
        charged["client"] = f"client:{client}"[:MAX_KEY]
    return charged


class LookupLimits:
    """Counts visitors' order look-ups in the database and says when to stop."""

    def __init__(
        self, engine: Engine, limits: Limits | None = None, clock: Callable[[], datetime] = utcnow
    ) -> None:
        LookupAttempt.__table__.create(engine, checkfirst=True)
        self._sessions = sessionmaker(engine, future=True)
        self.limits = limits or Limits()
        self._clock = clock

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        with self._sessions() as session, session.begin():
            yield session

    def _count(self, session: Session, key: str, since: datetime) -> int:
        count: int = (
            session.query(LookupAttempt)
            .filter(LookupAttempt.key == key, LookupAttempt.created_at > since)
            .count()
        )
        return count

    def exhausted(self, conversation: str, client: str | None) -> bool:
        """Whether this conversation or client has used up its look-ups for now."""
        since = self._clock() - self.limits.window
        limit = {"conversation": self.limits.per_conversation, "client": self.limits.per_client}
        with self._transaction() as session:
            return any(
                self._count(session, key, since) >= limit[kind]
                for kind, key in keys(conversation, client).items()
            )

    def record(self, conversation: str, client: str | None, subject: str) -> None:
        """Charges a look-up of `subject` to the conversation and the client, unless they
        tried that same subject lately; forgets expired look-ups."""
        now = self._clock()
        since = now - self.limits.window
        subject = subject[:MAX_SUBJECT]
        with self._transaction() as session:
            for key in keys(conversation, client).values():
                repeat = (
                    session.query(LookupAttempt.id)
                    .filter(
                        LookupAttempt.key == key,
                        LookupAttempt.subject == subject,
                        LookupAttempt.created_at > since,
                    )
                    .first()
                )
                if repeat is None:
                    session.add(LookupAttempt(key=key, subject=subject, created_at=now))
            session.query(LookupAttempt).filter(LookupAttempt.created_at <= since).delete(
                synchronize_session=False
            )
