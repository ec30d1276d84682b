"""The conversation store's database work runs in a worker thread, never on the event loop.

Rasa 3.6's SQLTrackerStore has `async` methods that are synchronous inside (SQLAlchemy
sessions): each read or save of a conversation holds up the whole Rasa server, every
customer's turn, the widget's polls and the console, for as long as the database takes.
`ThreadedTrackerStore` runs each call of the store it wraps in a worker thread
(`asyncio.to_thread`), where the store's coroutine runs to completion on a loop of its
own: SQLTrackerStore's coroutines await nothing bound to the server's loop.

`offload` puts it inside the agent's FailSafeTrackerStore, in place of the SQL store, so
what Rasa and Relay hold (`agent.tracker_store`, `agent.processor.tracker_store`) stays
the same object: its strict error handling (bot/ops/conversation_store.py), its
`get_or_create_tracker`, `create_tracker`, `exists` and its domain are unchanged, and
only the database work moves off the loop.

Left on the loop, as Rasa runs them:
- `save` when an event broker is configured: Rasa's save publishes the new events
  (`stream_events`), and Rasa's brokers (Pika, Kafka) belong to the server's loop.
  Relay's endpoints.yml configures none.
- a store whose connections can't move between threads: SQLite in memory (no file)
  keeps one connection per thread (SQLAlchemy's SingletonThreadPool), so a worker
  thread would see another, empty database. A SQLite file gets a new connection per
  session in the calling thread (NullPool), PostgreSQL a thread-safe pool.
- other stores than SQL (Relay uses none).

A read whose caller is cancelled (a timeout, as /ready's) returns at once and its thread
finishes alone; a save's caller waits for its thread first (`_to_the_end`).

RELAY_TRACKER_THREADS=0 leaves the store as Rasa built it (bot/settings.py).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Iterable
from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.pool import SingletonThreadPool, StaticPool

# Pools that hand every thread the same connection, or one per thread: not for workers.
THREAD_BOUND_POOLS = (SingletonThreadPool, StaticPool)


def _run(method: Callable[..., Any], *args: Any) -> Any:
    """Calls `method` and runs the coroutine it returns on a loop of this thread's own."""
    result = method(*args)
    return asyncio.run(result) if inspect.iscoroutine(result) else result


class ThreadedTrackerStore(TrackerStore):
    """Runs the calls of `inner` in worker threads; anything else it has is reached as before.

    Attributes:
        inner: The store doing the work (Rasa's SQLTrackerStore).
    """

    def __init__(self, inner: TrackerStore) -> None:
        self.inner = inner
        super().__init__(inner.domain, inner.event_broker)

    def __getattr__(self, name: str) -> Any:
        if name == "inner":  # not set yet (while copying or unpickling): no recursion
            raise AttributeError(name)
        return getattr(self.inner, name)

    @property
    def domain(self) -> Domain:
        """The inner store's domain."""
        domain: Domain = self.inner.domain
        return domain

    @domain.setter
    def domain(self, domain: Domain | None) -> None:
        self.inner.domain = domain

    @property
    def event_broker(self) -> EventBroker | None:
        """The inner store's event broker."""
        broker: EventBroker | None = self.inner.event_broker
        return broker

    @event_broker.setter
    def event_broker(self, broker: EventBroker | None) -> None:
        self.inner.event_broker = broker

    async def _off_loop(self, method: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.to_thread(_run, method, *args)

    async def _to_the_end(self, method: Callable[..., Any], *args: Any) -> Any:
        """`_off_loop`, but a caller cancelled meanwhile (Sanic cancels a request whose client
        went away) waits until the thread is done, as it did when the call ran on the loop:
        the thread can't be stopped half way, and the caller's conversation lock must be
        held until the write is in."""
        work = asyncio.ensure_future(self._off_loop(method, *args))
        cancelled = False
        while not work.done():
            try:
                await asyncio.wait({work})  # unlike awaiting it, never cancels it
            except asyncio.CancelledError:
                cancelled = True
        if cancelled:
            raise asyncio.CancelledError
        return work.result()

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The inner store's `retrieve`, in a worker thread."""
        tracker: DialogueStateTracker | None = await self._off_loop(self.inner.retrieve, sender_id)
        return tracker

    async def retrieve_full_tracker(self, conversation_id: str) -> DialogueStateTracker | None:
        """The inner store's `retrieve_full_tracker`, in a worker thread."""
        tracker: DialogueStateTracker | None = await self._off_loop(
            self.inner.retrieve_full_tracker, conversation_id
        )
        return tracker

    async def exists(self, conversation_id: str) -> bool:
        """The inner store's `exists`, in a worker thread."""
        return bool(await self._off_loop(self.inner.exists, conversation_id))

    async def keys(self) -> Iterable[str]:
        """The inner store's `keys`, in a worker thread."""
        keys: Iterable[str] = await self._off_loop(self.inner.keys)
        return keys

    async def save(self, tracker: DialogueStateTracker) -> None:
        """The inner store's `save`, in a worker thread unless events go to a broker."""
        if self.inner.event_broker is not None:  # the broker publishes on this loop
            await self.inner.save(tracker)
            return
        await self._to_the_end(self.inner.save, tracker)


def works_in_threads(store: Any) -> bool:
    """Whether `store` is a SQL store whose connections may be used from worker threads."""
    if not isinstance(store, SQLTrackerStore):
        return False
    return not isinstance(store.engine.pool, THREAD_BOUND_POOLS)


def offload(store: Any) -> bool:
    """Moves the database work of Rasa's fail-safe `store` into worker threads.

    Returns:
        True if it changed the store: the one it wraps now runs in threads.
    """
    if not isinstance(store, FailSafeTrackerStore):
        return False
    inner = store._tracker_store
    if isinstance(inner, ThreadedTrackerStore) or not works_in_threads(inner):
        return False
    store._tracker_store = ThreadedTrackerStore(inner)
    return True
