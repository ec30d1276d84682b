"""Retention: chat data older than a number of days is purged.

`purge(engines, older_than_days)` deletes conversations whose last event is older
(whole conversations, never a part of one), tickets closed before then with their
notes and history (open tickets stay, however old), and older outbox messages and
look-up counters. `RELAY_RETENTION_DAYS` sets the default; unset, data is kept.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from bot.privacy.personal_data import utcnow
from bot.privacy.records import Counts, Store
from bot.privacy.stores import each_database, erasable_stores


def cutoff(older_than_days: int, now: datetime) -> datetime:
    """The moment data must be newer than to stay.

    Raises:
        ValueError: `older_than_days` is below 1 (which would purge everything).
    """
    if older_than_days < 1:
        raise ValueError(f"keep data for 1 day or more, not {older_than_days}")
    return now - timedelta(days=older_than_days)


def purge(
    engines: Mapping[str, Engine],
    older_than_days: int,
    stores: Sequence[Store] | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> Counts:
    """Deletes the chat data older than `older_than_days`, one transaction per database.

    Args:
        engines: The databases by name (`TRACKER`, `SHOP`).
        older_than_days: Data older than this many days goes.
        stores: What is purged (default: `erasable_stores()`).
        clock: The current time (naive UTC).

    Returns:
        How many records of each kind were deleted.
    """
    before = cutoff(older_than_days, clock())
    return each_database(
        engines,
        erasable_stores() if stores is None else stores,
        lambda store, connection: store.purge(connection, before),
        write=True,
    )
