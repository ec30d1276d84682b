"""Where Relay keeps personal data: one store per kind of record, each able to export,
delete and purge its rows.

A store works on a connection its caller opened (one transaction per database), and
on a `Subject`: the conversations, shop customers, emails and clients that identify
one person. `erasable_stores()` lists what `delete` and `purge` clear; to cover a new
table (webhook deliveries, say), add one entry there, usually a `Rows`.

The shop's own records (customers, orders, ...) are `ShopRecords`: exported for the
customer, never deleted, since they are the shop's business records, not chat data.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, or_
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql import delete, select

from bot import identity
from bot.channels.telegram_inbox import TelegramUpdate
from bot.handoff.models import OutboxMessage, WebhookDelivery
from bot.privacy.records import (
    SHOP,
    Counts,
    Exportable,
    Records,
    Section,
    Store,
    Subject,
    chunks,
    has_table,
    record,
)
from bot.privacy.shop_records import ShopRecords
from bot.privacy.ticket_records import TicketRecords
from bot.privacy.tracker_events import TrackerEvents
from bot.shop.lookup_limits import MAX_KEY
from bot.shop.models import LookupAttempt


def each_database(
    engines: Mapping[str, Engine],
    stores: Sequence[Exportable],
    action: Callable[[Any, Connection], Counts],
    *,
    write: bool = False,
) -> Counts:
    """Runs `action(store, connection)` on every store, one connection per database (a
    transaction when `write`), and adds up the counts; stores of a database not in
    `engines` are skipped."""
    counts: Counts = {}
    for database in dict.fromkeys(store.database for store in stores):
        engine = engines.get(database)
        if engine is None:
            continue
        with engine.begin() if write else engine.connect() as connection:
            for store in stores:
                if store.database == database:
                    counts.update(action(store, connection))
    return counts


@dataclass(frozen=True)
class Rows:
    """Rows of one table, found by a key column that names a subject's conversation
    (or client), and purged by a time column.

    Attributes:
        name: Its section in the export and its key in the counts.
        table: The table.
        key: Column naming whose the row is.
        time: Column with when the row was written (naive UTC).
        keys: The values of `key` that belong to a subject.
    """

    name: str
    table: Table
    key: str
    time: str
    keys: Callable[[Subject], Iterable[str]]
    database: str = SHOP

    def export(self, connection: Connection, subject: Subject) -> Section:
        rows: Records = []
        if has_table(connection, self.table):
            column = self.table.c[self.key]
            for chunk in chunks(set(self.keys(subject))):
                query = select(self.table).where(column.in_(chunk))
                query = query.order_by(column, *self.table.primary_key)
                rows += [record(row) for row in connection.execute(query)]
        return Section(rows, {self.name: len(rows)})

    def delete(self, connection: Connection, subject: Subject) -> Counts:
        deleted = 0
        if has_table(connection, self.table):
            column = self.table.c[self.key]
            for chunk in chunks(set(self.keys(subject))):
                result = connection.execute(delete(self.table).where(column.in_(chunk)))
                deleted += int(result.rowcount)
        return {self.name: deleted}

    def purge(self, connection: Connection, before: datetime) -> Counts:
        if not has_table(connection, self.table):
            return {self.name: 0}
        result = connection.execute(delete(self.table).where(self.table.c[self.time] < before))
        return {self.name: int(result.rowcount)}


def lookup_keys(subject: Subject) -> list[str]:
    """The look-up counters' keys of a subject (bot/shop/lookup_limits.py `keys()`)."""
    conversations = [f"conversation:{conversation}" for conversation in subject.conversation_ids]
    clients = [f"client:{client}" for client in subject.clients]
    return [key[:MAX_KEY] for key in conversations + clients]


def telegram_chats(subject: Subject) -> list[str]:
    """The Telegram chats of a subject's conversations (the updates table's `chat`)."""
    chats = []
    for conversation in subject.conversation_ids:
        found = identity.address(conversation)
        if found is not None and found.namespace == identity.TELEGRAM:
            chats.append(found.external_id)
    return chats


@dataclass(frozen=True)
class Mentions:
    """Rows of a table whose JSON text column may mention a subject (a webhook body names
    a conversation or an email only when RELAY_WEBHOOK_FIELDS sends them)."""

    name: str
    table: Table
    text: str
    time: str
    database: str = SHOP

    def _match(self, subject: Subject) -> Any:
        column = self.table.c[self.text]
        needles = [*subject.conversation_ids, *subject.emails]
        return (
            or_(*(column.contains(json.dumps(needle)) for needle in needles)) if needles else None
        )

    def export(self, connection: Connection, subject: Subject) -> Section:
        match = self._match(subject)
        if match is None or not has_table(connection, self.table):
            return Section([], {self.name: 0})
        query = select(self.table).where(match).order_by(*self.table.primary_key)
        rows = [record(row) for row in connection.execute(query)]
        return Section(rows, {self.name: len(rows)})

    def delete(self, connection: Connection, subject: Subject) -> Counts:
        match = self._match(subject)
        if match is None or not has_table(connection, self.table):
            return {self.name: 0}
        return {self.name: int(connection.execute(delete(self.table).where(match)).rowcount)}

    def purge(self, connection: Connection, before: datetime) -> Counts:
        if not has_table(connection, self.table):
            return {self.name: 0}
        result = connection.execute(delete(self.table).where(self.table.c[self.time] < before))
        return {self.name: int(result.rowcount)}


def erasable_stores() -> list[Store]:
    """Every store of chat data, in the order they are exported and deleted."""
    return [
        TrackerEvents(),
        TicketRecords(),
        Rows(
            "outbox",
            OutboxMessage.__table__,
            "conversation_id",
            "created_at",
            lambda subject: subject.conversation_ids,
        ),
        Rows("lookup_counters", LookupAttempt.__table__, "key", "created_at", lookup_keys),
        Rows(
            "telegram_updates",
            TelegramUpdate.__table__,
            "chat",
            "received_at",
            telegram_chats,
        ),
        Mentions("webhook_deliveries", WebhookDelivery.__table__, "body", "created_at"),
    ]


def kept_stores() -> Sequence[Exportable]:
    """Records exported for a customer but never deleted: the shop's business records."""
    return [ShopRecords()]
