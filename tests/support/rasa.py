"""Stand-ins for the Rasa server's pieces: its processor, its agent, its message handler."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.core.tracker_store import InMemoryTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker


class Processor:
    """What the console and channels use of Rasa's MessageProcessor."""

    def __init__(self, tracker_store: TrackerStore) -> None:
        self.tracker_store = tracker_store

    async def get_tracker(self, conversation_id: str) -> DialogueStateTracker:
        return await self.tracker_store.get_or_create_tracker(
            conversation_id, append_action_listen=False
        )

    async def save_tracker(self, tracker: DialogueStateTracker) -> None:
        await self.tracker_store.save(tracker)


class StandInAgent:
    """What `app.ctx.agent` offers, without a model, on Rasa's in-memory stores.

    Its NLU understands each text as `understands(text)` if given, else as `intent`,
    at `confidence`; it raises `failure` if one is set, and records what it `parsed`.
    """

    def __init__(
        self,
        domain: dict[str, Any] | None = None,
        understands: Callable[[str], str] | None = None,
    ) -> None:
        self.domain = Domain.from_dict(domain or {"version": "3.1"})
        self.tracker_store: TrackerStore = InMemoryTrackerStore(self.domain)
        self.lock_store = InMemoryLockStore()
        self.nlg = TemplatedNaturalLanguageGenerator(self.domain.responses)
        self.processor = Processor(self.tracker_store)
        self.understands = understands
        self.intent = "greet"
        self.confidence = 0.9
        self.failure: Exception | None = None
        self.parsed: list[str] = []

    async def parse_message(self, text: str) -> dict[str, Any]:
        self.parsed.append(text)
        if self.failure is not None:
            raise self.failure
        intent = self.understands(text) if self.understands else self.intent
        return {"text": text, "intent": {"name": intent, "confidence": self.confidence}}

    def save(self, sender: str, *events: Any) -> None:
        """Stores a conversation of `events` (outside a running event loop)."""
        tracker = DialogueStateTracker.from_events(sender, list(events))
        asyncio.run(self.tracker_store.save(tracker))


class Recorder:
    """Rasa's message handler: records what reaches it, answers with `replies` through the
    message's output channel (by default "bot reply"; none for `reply=None`) and returns
    `returns`."""

    def __init__(self, reply: str | None = "bot reply", returns: Any = None) -> None:
        self.received: list[UserMessage] = []
        self.replies: list[dict[str, Any]] = [{"text": reply}] if reply else []
        self.returns = returns

    async def __call__(self, message: UserMessage) -> Any:
        self.received.append(message)
        for reply in self.replies:
            await message.output_channel.send_response(message.sender_id, dict(reply))
        return self.returns

    @property
    def texts(self) -> list[str]:
        return [message.text or "" for message in self.received]
