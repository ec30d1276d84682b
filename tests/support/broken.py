"""A store whose database is down: every call raises SQLAlchemy's OperationalError."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.exc import OperationalError


class BrokenStore:
    """Stands in for any store or repository (ShopRepository, TicketStore, ...)."""

    def __getattr__(self, name: str) -> Callable[..., None]:
        def fail(*args: object, **kwargs: object) -> None:
            raise OperationalError(f"-- {name}", {}, Exception("database is locked"))

        return fail
