"""SQLite databases in trouble, for testing what a store does when its database fails."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Holds an exclusive lock on the SQLite file at `path` (a writer that is stuck)."""
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def impatient_engine(path: Path, **kwargs: Any) -> Engine:
    """An engine on `path` that gives up on a lock after 0.1 s instead of SQLite's 5."""
    return create_engine(f"sqlite:///{path}", future=True, connect_args={"timeout": 0.1}, **kwargs)
