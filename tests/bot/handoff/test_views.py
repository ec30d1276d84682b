"""bot/handoff/views.py: the ticket store's records have exactly the keys and types declared."""

from __future__ import annotations

import types
import typing
from datetime import datetime
from typing import Any, Union, get_args, get_origin, get_type_hints, is_typeddict

import pytest

from bot.handoff.tickets import TicketStore
from bot.handoff.views import TicketDetail, TicketSummary
from bot.shop.repository import make_engine
from tests.support.clock import WallClock
from tests.support.tickets import open_ticket

MAYA = {"id": 1, "name": "Maya", "email": "maya.patel@example.com"}


def conforms(value: Any, kind: Any, where: str = "ticket") -> list[str]:
    """What in `value` does not match the type `kind` (a TypedDict, union, list, ...)."""
    if kind is Any:
        return []
    if is_typeddict(kind):
        if not isinstance(value, dict):
            return [f"{where}: {value!r} is no object"]
        hints = get_type_hints(kind)
        problems = [f"{where}: keys {sorted(set(value) ^ set(hints))} differ"]
        problems = problems if set(value) != set(hints) else []
        for key, hint in hints.items():
            if key in value:
                problems += conforms(value[key], hint, f"{where}.{key}")
        return problems
    origin, args = get_origin(kind), get_args(kind)
    if origin in (Union, types.UnionType):
        if any(not conforms(value, option, where) for option in args):
            return []
        return [f"{where}: {value!r} is none of {args}"]
    if origin is list:
        if not isinstance(value, list):
            return [f"{where}: {value!r} is no list"]
        return [p for n, item in enumerate(value) for p in conforms(item, args[0], f"{where}[{n}]")]
    if origin is dict:
        return [] if isinstance(value, dict) else [f"{where}: {value!r} is no object"]
    if kind is type(None):
        return [] if value is None else [f"{where}: {value!r} is not null"]
    if kind is int and isinstance(value, bool):
        return [f"{where}: {value!r} is a bool"]
    return [] if isinstance(value, kind) else [f"{where}: {value!r} is no {kind.__name__}"]


@pytest.fixture
def store(tmp_path: Any) -> typing.Iterator[TicketStore]:
    engine = make_engine(f"sqlite:///{tmp_path / 'tickets.db'}")
    yield TicketStore(engine, clock=WallClock(datetime(2026, 11, 24, 11, 0)))
    engine.dispose()


def test_a_new_ticket_and_its_summary_are_what_their_types_say(store: TicketStore) -> None:
    created = open_ticket(store, "rest-web-1", customer=MAYA, transcript=[{"speaker": "x"}])
    assert conforms(created, TicketDetail) == []
    [listed] = store.queue()
    assert conforms(listed, TicketSummary) == []
    assert conforms(store.open_for("rest-web-1"), TicketSummary) == []


def test_a_ticket_with_everything_filled_in_is_what_its_type_says(store: TicketStore) -> None:
    earlier = open_ticket(store, "rest-web-1", customer=MAYA)
    store.close(earlier["id"], None, "resolved")
    ticket = open_ticket(
        store,
        "rest-web-1",
        customer=MAYA,
        follow_up_email=MAYA["email"],
        follow_up_by=datetime(2026, 11, 25, 9, 0),
    )
    store.claim(ticket["id"], "alice")
    store.note(ticket["id"], "alice", "Prefers email")
    store.close(ticket["id"], "alice", "resolved")
    rated = store.record_csat(ticket["id"], 5, "Quick")
    assert rated["follow_up"] and rated["csat"] and rated["notes"] and rated["earlier_tickets"]
    assert conforms(rated, TicketDetail) == []
    assert all(conforms(shown, TicketSummary) == [] for shown in store.queue("all"))


def test_the_checker_finds_a_wrong_key_or_type(store: TicketStore) -> None:
    ticket = dict(open_ticket(store))
    assert conforms({**ticket, "priority": "high"}, TicketDetail) == [
        "ticket.priority: 'high' is no int"
    ]
    del ticket["unread"]
    assert conforms(ticket, TicketDetail) == ["ticket: keys ['unread'] differ"]
