"""bot/ops/conversation_store.py: a failing conversation store raises instead of forgetting."""

from __future__ import annotations

import asyncio

import pytest
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ConversationPaused, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.ops.conversation_store import ConversationStoreDown, make_strict


class Failing(InMemoryTrackerStore):
    """A store whose database has gone away."""

    def __init__(self) -> None:
        super().__init__(Domain.empty())
        self.down = False

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        if self.down:
            raise ConnectionError("the database is down")
        return await super().retrieve(sender_id)

    async def save(self, tracker: DialogueStateTracker) -> None:
        if self.down:
            raise ConnectionError("the database is down")
        await super().save(tracker)


def paused_conversation(store: InMemoryTrackerStore) -> None:
    events = [UserUttered("a person please"), ConversationPaused()]
    asyncio.run(store.save(DialogueStateTracker.from_events("rest-a", events)))


def test_rasas_wrapper_alone_answers_as_if_the_customer_were_new() -> None:
    """What Relay protects against: Rasa's fail-safe forgets the paused conversation."""
    inner = Failing()
    paused_conversation(inner)
    inner.down = True
    assert asyncio.run(FailSafeTrackerStore(inner).retrieve("rest-a")) is None


def test_a_strict_store_raises_on_reading_and_on_saving() -> None:
    inner = Failing()
    paused_conversation(inner)
    store = FailSafeTrackerStore(inner)
    assert make_strict(store) is True
    inner.down = True
    with pytest.raises(ConversationStoreDown, match="database is down"):
        asyncio.run(store.retrieve("rest-a"))
    with pytest.raises(ConversationStoreDown):
        asyncio.run(store.save(DialogueStateTracker.from_events("rest-a", [])))
    inner.down = False  # and it recovers when the database is back
    assert asyncio.run(store.retrieve("rest-a")).is_paused()


def test_make_strict_is_idempotent_and_leaves_other_stores_alone() -> None:
    store = FailSafeTrackerStore(Failing())
    assert make_strict(store) is True and make_strict(store) is False
    assert make_strict(InMemoryTrackerStore(Domain.empty())) is False
    assert make_strict(None) is False
