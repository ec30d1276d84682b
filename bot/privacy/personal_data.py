"""Everything Relay holds about one customer: found, exported as one JSON document,
and deleted.

A customer is asked for by email, shop customer id or conversation id, and found as a
`Subject`:

- the shop's customers with that id or email, or the one the conversation's channel
  proves (bot/identity.py: `telegram-<id>`, `site-<id>`);
- their conversations: the one asked for, those their channels prove
  (`telegram-<telegram_id>`, `site-<website_id>`), those of tickets with their customer id
  or email, and those where the email was written or given (visitors prove an order
  with it);
- the clients their messages came from (for the per-client look-up counters).

Deleting runs every store's delete in one transaction per database and says how many
records of each kind went. The shop's records are exported, never deleted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql import func, or_, select

from bot import identity
from bot.channels.inbound import CLIENT_KEY
from bot.privacy.records import (
    SHOP,
    TRACKER,
    Counts,
    Exportable,
    Records,
    Store,
    Subject,
    has_table,
    record,
)
from bot.privacy.stores import each_database, erasable_stores, kept_stores
from bot.privacy.ticket_records import TicketRecords
from bot.privacy.tracker_events import EVENTS, TrackerEvents
from bot.shop.models import Customer

FORMAT = "relay-personal-data/1"
CUSTOMERS = Customer.__table__


class NotFound(Exception):
    """Nothing identifies the customer asked for (an unknown shop customer id)."""


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _mentions(email: str) -> re.Pattern[str]:
    """The email as a whole address, not the tail of a longer one."""
    return re.compile(rf"(?<![\w.%+-]){re.escape(email)}(?![\w-]|\.\w)", re.IGNORECASE)


class PersonalData:
    """Finds, exports and deletes one customer's data across Relay's databases.

    Args:
        engines: The databases by name (`TRACKER`, `SHOP`); a store whose database is
            missing is skipped.
        stores: The chat data, exported and deleted (default: `erasable_stores()`).
        kept: Records exported only (default: `kept_stores()`, the shop's records).
        clock: The current time (naive UTC), for the export's date.
    """

    def __init__(
        self,
        engines: Mapping[str, Engine],
        stores: Sequence[Store] | None = None,
        kept: Sequence[Exportable] | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._engines = engines
        self.stores = list(erasable_stores() if stores is None else stores)
        self.kept = list(kept_stores() if kept is None else kept)
        self._clock = clock

    # Finding

    def find(
        self,
        *,
        email: str | None = None,
        customer_id: int | None = None,
        conversation_id: str | None = None,
    ) -> Subject:
        """The customer with this email, shop customer id or conversation id (give one).

        Raises:
            ValueError: Not exactly one of them was given, or it is empty.
            NotFound: No shop customer has that id.
        """
        given = [value for value in (email, customer_id, conversation_id) if value is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of an email, a customer id or a conversation id")
        if not str(given[0]).strip():
            raise ValueError("an empty email or conversation id names nobody")
        asked_email = email.strip().lower() if email else None
        conversations: dict[str, list[str]] = {}
        if conversation_id:
            conversations[conversation_id] = ["asked for"]
        customers = self._customers(asked_email, customer_id, conversation_id)
        if customer_id is not None and not customers:
            raise NotFound(f"No shop customer has id {customer_id}")
        emails = {asked_email} if asked_email else set()
        for customer in customers:
            emails.add(str(customer["email"]).lower())
            for key, namespace in (
                ("telegram_id", identity.TELEGRAM),
                ("website_id", identity.SITE),
            ):
                if customer[key]:
                    conversation = identity.conversation_id(namespace, str(customer[key]))
                    reason = f"{key} of shop customer {customer['id']}"
                    conversations.setdefault(conversation, []).append(reason)
        customer_ids = frozenset(int(customer["id"]) for customer in customers)
        by_person = Subject(customer_ids=customer_ids, emails=frozenset(emails))
        for conversation, tickets in self._ticket_conversations(by_person).items():
            reason = "ticket " + ", ".join(str(ticket) for ticket in sorted(tickets))
            conversations.setdefault(conversation, []).append(reason)
        for conversation, found in self._mentioning(emails).items():
            conversations.setdefault(conversation, []).append(f"mentions {found}")
        clients = self._clients(conversations)
        return Subject(
            conversation_ids=frozenset(conversations),
            customer_ids=customer_ids,
            emails=frozenset(emails),
            clients=frozenset(clients),
            found_through={key: tuple(value) for key, value in sorted(conversations.items())},
        )

    def _connect(self, database: str) -> Connection | None:
        engine = self._engines.get(database)
        return None if engine is None else engine.connect()

    def _customers(
        self, email: str | None, customer_id: int | None, conversation_id: str | None
    ) -> list[dict[str, Any]]:
        if email:
            condition = func.lower(CUSTOMERS.c.email) == email
        elif customer_id is not None:
            condition = CUSTOMERS.c.id == customer_id
        else:
            link = identity.customer_link(conversation_id or "")
            if link is None:
                return []
            condition = CUSTOMERS.c[link.key] == link.value
        connection = self._connect(SHOP)
        if connection is None:
            return []
        with connection:
            if not has_table(connection, CUSTOMERS):
                return []
            rows = connection.execute(select(CUSTOMERS).where(condition).order_by(CUSTOMERS.c.id))
            return [record(row) for row in rows]

    def _ticket_conversations(self, subject: Subject) -> dict[str, list[int]]:
        connection = self._connect(SHOP)
        if connection is None or not (subject.customer_ids or subject.emails):
            return {}
        with connection:
            return TicketRecords().conversations(connection, subject)

    def _mentioning(self, emails: set[str]) -> dict[str, str]:
        """Conversations in which one of the emails was written or given."""
        connection = self._connect(TRACKER)
        if connection is None or not emails:
            return {}
        found: dict[str, str] = {}
        with connection:
            if not has_table(connection, EVENTS):
                return found
            lowered = func.lower(EVENTS.c.data)
            rows = connection.execute(
                select(EVENTS.c.sender_id, EVENTS.c.data).where(
                    or_(*(lowered.contains(email, autoescape=True) for email in sorted(emails)))
                )
            )
            patterns = {email: _mentions(email) for email in sorted(emails)}
            for sender, data in rows:
                for email, pattern in patterns.items():
                    if sender not in found and pattern.search(data or ""):
                        found[sender] = email
        return found

    def _clients(self, conversations: Mapping[str, Any]) -> set[str]:
        connection = self._connect(TRACKER)
        if connection is None:
            return set()
        with connection:
            events = TrackerEvents().events(connection, conversations)
        clients = set()
        for conversation_events in events.values():
            for event in conversation_events:
                metadata = event.get("metadata") if event.get("event") == "user" else None
                client = metadata.get(CLIENT_KEY) if isinstance(metadata, dict) else None
                if isinstance(client, str) and client:
                    clients.add(client)
        return clients

    # Exporting and deleting

    def export(
        self, subject: Subject, asked_for: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """One JSON-ready document: the counts first, then who, then every record.

        Args:
            subject: Whom the export is about (from `find`).
            asked_for: How they were asked for, recorded in the document.
        """
        stores = [*self.stores, *self.kept]
        sections: dict[str, Records] = {store.name: [] for store in stores}

        def export(store: Exportable, connection: Connection) -> Counts:
            section = store.export(connection, subject)
            sections[store.name] = section.records
            return section.counts

        summary = each_database(self._engines, stores, export)
        databases = {store.database for store in stores}
        return {
            "format": FORMAT,
            "summary": summary,
            "exported_at": self._clock().replace(tzinfo=timezone.utc).isoformat(),
            "asked_for": dict(asked_for or {}),
            "subject": describe(subject),
            "databases_not_found": sorted(databases - set(self._engines)),
            **sections,
        }

    def preview(self, subject: Subject) -> Counts:
        """How many records of each kind `delete` would delete now."""
        return each_database(
            self._engines,
            self.stores,
            lambda store, connection: store.export(connection, subject).counts,
        )

    def delete(self, subject: Subject) -> Counts:
        """Deletes the subject's chat data, in one transaction per database.

        Returns:
            How many records of each kind were deleted.
        """
        return each_database(
            self._engines,
            self.stores,
            lambda store, connection: store.delete(connection, subject),
            write=True,
        )


def describe(subject: Subject) -> dict[str, Any]:
    """The subject as the export shows it."""
    return {
        "emails": sorted(subject.emails),
        "shop_customer_ids": sorted(subject.customer_ids),
        "conversations": {
            conversation: list(subject.found_through.get(conversation, ()))
            for conversation in sorted(subject.conversation_ids)
        },
        "clients": sorted(subject.clients),
    }


def to_json(document: Mapping[str, Any]) -> str:
    """The export as readable JSON (indented, non-ASCII characters kept)."""
    return json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n"
