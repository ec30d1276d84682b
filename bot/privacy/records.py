"""The vocabulary of Relay's personal-data stores: whose data (`Subject`), what a store
holds about them (`Section`), what a store can do (`Exportable`, `Store`), and helpers
that turn rows into JSON-ready records.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import Table, inspect
from sqlalchemy.engine import Connection

TRACKER = "tracker"  # Rasa's tracker store (conversations)
SHOP = "shop"  # the shop's database (tickets, outbox, look-up counters, shop records)
CHUNK = 500  # values in one IN (...): far below every database's limit

Records = list[dict[str, Any]]
Counts = dict[str, int]


@dataclass(frozen=True)
class Subject:
    """One person, as Relay knows them.

    Attributes:
        conversation_ids: Their conversations (sender ids in the tracker store).
        customer_ids: Their ids in the shop's customers.
        emails: Their email addresses, in lower case.
        clients: Who sent their messages, as the channels put it (`telegram:<user>`,
            `ip:<address>`): the keys of their per-client look-up counters.
        found_through: How each conversation was found, for the person who checks.
    """

    conversation_ids: frozenset[str] = frozenset()
    customer_ids: frozenset[int] = frozenset()
    emails: frozenset[str] = frozenset()
    clients: frozenset[str] = frozenset()
    found_through: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Section:
    """What one store holds about a subject: its records and how many of each kind."""

    records: Records
    counts: Counts


class Exportable(Protocol):
    """Records that can be found and exported for a subject."""

    # Read-only, so that frozen dataclasses and plain class attributes both qualify.
    @property
    def name(self) -> str:
        """Its section in the export document."""
        ...

    @property
    def database(self) -> str:
        """TRACKER or SHOP."""
        ...

    def export(self, connection: Connection, subject: Subject) -> Section:
        """The subject's records in this store, and how many of each kind."""
        ...


class Store(Exportable, Protocol):
    """Records that can also be deleted for a subject, and purged when old."""

    def delete(self, connection: Connection, subject: Subject) -> Counts:
        """Deletes the subject's records (in the caller's transaction); how many of each kind."""
        ...

    def purge(self, connection: Connection, before: datetime) -> Counts:
        """Deletes the records older than `before` (naive UTC); how many of each kind."""
        ...


def plain(value: Any) -> Any:
    """A database value as JSON can hold it (times in ISO 8601, money as a string)."""
    if isinstance(value, date):  # and datetime
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def record(row: Any) -> dict[str, Any]:
    """A row as a dict; `<name>_json` columns are decoded and named `<name>`."""
    result: dict[str, Any] = {}
    for key, value in row._mapping.items():
        if key.endswith("_json") and isinstance(value, str):
            result[key.removesuffix("_json")] = json.loads(value)
        else:
            result[key] = plain(value)
    return result


def chunks(values: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    """`values`, sorted, in lists of at most `size`."""
    ordered = sorted(values)
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def has_table(connection: Connection, table: Table) -> bool:
    return bool(inspect(connection).has_table(table.name))
