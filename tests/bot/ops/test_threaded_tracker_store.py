"""bot/ops/threaded_tracker_store.py: the conversation store's database work off the loop."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore, SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    ConversationPaused,
    SessionStarted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import event

from bot.ops.conversation_store import ConversationStoreDown, make_strict
from bot.ops.threaded_tracker_store import ThreadedTrackerStore, offload
from tests.support.slow import BLOCK, STALL, Slow, alongside

DOMAIN = Domain.from_dict({"version": "3.1", "intents": ["greet"]})


class Threads:
    """The threads that took a connection from a store's engine, and how many at once."""

    def __init__(self, store: SQLTrackerStore) -> None:
        self.names: list[str] = []
        self.open = self.most_open = 0
        self._lock = threading.Lock()
        event.listen(store.engine, "checkout", self._checkout)
        event.listen(store.engine, "checkin", self._checkin)

    def _checkout(self, *args: Any) -> None:
        with self._lock:
            self.names.append(threading.current_thread().name)
            self.open += 1
            self.most_open = max(self.most_open, self.open)

    def _checkin(self, *args: Any) -> None:
        with self._lock:
            self.open -= 1

    @property
    def off_the_loop(self) -> bool:
        """True when connections were taken, none of them on the loop's (main) thread."""
        return bool(self.names) and threading.main_thread().name not in self.names


def sql_store(path: Path, **kwargs: Any) -> SQLTrackerStore:
    return SQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(path), **kwargs)


def as_the_agent_has_it(inner: Any) -> FailSafeTrackerStore:
    """Rasa's fail-safe wrapper around `inner`, made strict and offloaded as Relay does."""
    store = FailSafeTrackerStore(inner)
    make_strict(store)
    offload(store)
    return store


def turn(sender: str, number: int) -> list[Any]:
    return [
        UserUttered(f"message {number}", {"name": "greet", "confidence": 0.9}),
        BotUttered(f"answer {number}"),
        ActionExecuted("action_listen"),
    ]


def texts(tracker: DialogueStateTracker | None) -> list[str]:
    assert tracker is not None
    return [e.text for e in tracker.events if isinstance(e, UserUttered | BotUttered)]


def test_trackers_are_saved_and_read_back_on_sqlite_from_worker_threads(tmp_path: Path) -> None:
    inner = sql_store(tmp_path / "tracker.db")
    threads = Threads(inner)
    store = as_the_agent_has_it(inner)

    async def go() -> tuple[Any, ...]:
        created = await store.get_or_create_tracker("web-1")  # FailSafe's, saves through it
        created.update_with_events([SessionStarted(), *turn("web-1", 1)], DOMAIN)
        await store.save(created)
        later = [SessionStarted(), *turn("web-1", 2), ConversationPaused()]
        created.update_with_events(later, DOMAIN)
        await store.save(created)
        return (
            await store.retrieve("web-1"),
            await store.retrieve_full_tracker("web-1"),
            await store.retrieve("nobody"),
            await store.exists("web-1"),
            await store.exists("nobody"),
            set(await store.keys()),
        )

    latest, full, nobody, exists, not_there, keys = asyncio.run(go())
    assert texts(latest) == ["message 2", "answer 2"] and latest.is_paused()
    assert texts(full) == ["message 1", "answer 1", "message 2", "answer 2"]
    assert (nobody, exists, not_there, keys) == (None, True, False, {"web-1"})
    assert threads.off_the_loop  # SQLite's file connections work from worker threads
    # What Rasa's store wrote is what it reads itself, unwrapped.
    assert texts(asyncio.run(inner.retrieve_full_tracker("web-1"))) == texts(full)


def test_the_loop_keeps_going_while_the_database_blocks(tmp_path: Path) -> None:
    slow = Slow(sql_store(tmp_path / "tracker.db"), "retrieve", "save")
    # The measure detects a blocked loop: Rasa's store as it comes stalls it.
    _, _, gap = asyncio.run(alongside(FailSafeTrackerStore(slow).retrieve("web-1")))
    assert gap >= BLOCK * 0.9
    slow.calls.clear()
    store = FailSafeTrackerStore(ThreadedTrackerStore(slow))
    make_strict(store)

    async def a_turn() -> DialogueStateTracker | None:
        await store.save(DialogueStateTracker.from_events("web-1", turn("web-1", 1)))
        return await store.retrieve("web-1")

    tracker, took, gap = asyncio.run(alongside(a_turn))
    assert texts(tracker) == ["message 1", "answer 1"]
    assert took >= 2 * BLOCK and gap < STALL
    assert [name for name, _ in slow.calls] == ["save", "retrieve"]
    assert all(thread != "MainThread" for _, thread in slow.calls)


def test_a_read_given_up_on_returns_at_once(tmp_path: Path) -> None:
    """/ready's check has a timeout: it now works while the database blocks."""
    slow = Slow(sql_store(tmp_path / "tracker.db"), "retrieve")
    store = FailSafeTrackerStore(ThreadedTrackerStore(slow))

    async def impatient() -> float:
        began = time.monotonic()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(store.retrieve("web-1"), BLOCK / 5)
        return time.monotonic() - began

    assert asyncio.run(impatient()) < BLOCK / 2


def test_a_save_whose_caller_is_cancelled_is_in_before_the_caller_goes_on(
    tmp_path: Path,
) -> None:
    """Sanic cancels a request whose client went away: its conversation's lock is let go
    only once the save it began is in, as when the save ran on the loop."""
    inner = sql_store(tmp_path / "tracker.db")
    store = FailSafeTrackerStore(ThreadedTrackerStore(Slow(inner, "save")))
    tracker = DialogueStateTracker.from_events("web-1", turn("web-1", 1))

    async def go() -> tuple[bool, float, DialogueStateTracker | None]:
        saving = asyncio.create_task(store.save(tracker))
        await asyncio.sleep(BLOCK / 5)  # the save is under way in its thread
        began = time.monotonic()
        saving.cancel()
        with pytest.raises(asyncio.CancelledError):
            await saving
        waited = time.monotonic() - began
        return saving.cancelled(), waited, await inner.retrieve("web-1")

    cancelled, waited, saved = asyncio.run(go())
    assert cancelled and waited > BLOCK / 2  # it waited for the thread
    assert texts(saved) == ["message 1", "answer 1"]


def test_a_failing_database_still_raises_as_the_strict_store_does(tmp_path: Path) -> None:
    path = tmp_path / "tracker.db"
    inner = sql_store(path)
    threads = Threads(inner)
    store = as_the_agent_has_it(inner)
    asyncio.run(store.save(DialogueStateTracker.from_events("web-1", turn("web-1", 1))))
    with sqlite3.connect(path) as database:  # the database loses its table
        database.execute("DROP TABLE events")

    with pytest.raises(ConversationStoreDown, match="no such table: events"):
        asyncio.run(store.retrieve("web-1"))
    with pytest.raises(ConversationStoreDown, match="no such table: events"):
        asyncio.run(store.save(DialogueStateTracker.from_events("web-1", turn("web-1", 2))))
    with pytest.raises(ConversationStoreDown):
        asyncio.run(store.keys())
    assert threads.off_the_loop
    assert store._fallback_tracker_store is None  # nothing was kept in memory instead


def test_conversations_are_saved_at_the_same_time_each_intact(tmp_path: Path) -> None:
    inner = sql_store(tmp_path / "tracker.db")
    threads = Threads(inner)
    store = as_the_agent_has_it(inner)
    senders = [f"web-{number}" for number in range(8)]

    async def converse(sender: str) -> None:
        tracker = await store.get_or_create_tracker(sender)
        for number in range(5):
            tracker.update_with_events(turn(sender, number), DOMAIN)
            await store.save(tracker)

    async def go() -> list[DialogueStateTracker | None]:
        await asyncio.gather(*(converse(sender) for sender in senders))
        return list(await asyncio.gather(*(store.retrieve(sender) for sender in senders)))

    expected = [text for number in range(5) for text in (f"message {number}", f"answer {number}")]
    for sender, tracker in zip(senders, asyncio.run(go()), strict=True):
        assert tracker is not None and tracker.sender_id == sender
        assert texts(tracker) == expected
        assert len(tracker.events) == 1 + 5 * 3  # action_listen, then each turn once
    assert threads.off_the_loop and threads.most_open > 1  # really at the same time


class Broker:
    """Rasa's event broker, stood in: records what it publishes and on which thread."""

    def __init__(self) -> None:
        self.published: list[tuple[str, str]] = []

    def publish(self, body: dict[str, Any]) -> None:
        self.published.append((body["event"], threading.current_thread().name))


def test_with_an_event_broker_saving_stays_on_the_loop_and_reading_does_not(
    tmp_path: Path,
) -> None:
    broker = Broker()
    inner = sql_store(tmp_path / "tracker.db", event_broker=broker)
    store = as_the_agent_has_it(inner)
    assert store.event_broker is broker and store._tracker_store.event_broker is broker
    tracker = DialogueStateTracker.from_events("web-1", turn("web-1", 1))

    asyncio.run(store.save(tracker))
    assert broker.published == [(kind, "MainThread") for kind in ("user", "bot", "action")]
    threads = Threads(inner)
    assert texts(asyncio.run(store.retrieve("web-1"))) == ["message 1", "answer 1"]
    assert threads.off_the_loop


def test_offload_wraps_the_sql_store_once_and_keeps_what_rasa_relies_on(tmp_path: Path) -> None:
    inner = sql_store(tmp_path / "tracker.db")
    store = FailSafeTrackerStore(inner)
    assert offload(store) is True and offload(store) is False
    threaded = store._tracker_store
    assert isinstance(threaded, ThreadedTrackerStore) and threaded.inner is inner
    assert threaded.engine is inner.engine  # the rest of the SQL store is still reached
    other = Domain.from_dict({"version": "3.1", "intents": ["bye"]})
    store.domain = other  # as Agent.load_model sets it on a new model
    assert inner.domain is other and threaded.domain is other and store.domain is other


def test_offload_leaves_stores_that_cant_move_between_threads_alone() -> None:
    in_memory_sqlite = FailSafeTrackerStore(SQLTrackerStore(DOMAIN, dialect="sqlite", db=""))
    assert offload(in_memory_sqlite) is False  # one connection per thread: another database
    assert offload(FailSafeTrackerStore(InMemoryTrackerStore(DOMAIN))) is False
    assert offload(InMemoryTrackerStore(DOMAIN)) is False
    assert offload(None) is False
