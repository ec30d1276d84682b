"""Stand-ins for the Rasa server's pieces: its processor, its agent, its message handler."""

from __future__ import annotations

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
    """What `app.ctx.agent` offers, without a model, on Rasa's in-memory stores."""

    def __init__(self, domain: dict[str, Any] | None = None) -> None:
        self.domain = Domain.from_dict(domain or {"version": "3.1"})
        self.tracker_store: TrackerStore = InMemoryTrackerStore(self.domain)
        self.lock_store = InMemoryLockStore()
        self.nlg = TemplatedNaturalLanguageGenerator(self.domain.responses)
        self.processor = Processor(self.tracker_store)


class Recorder:
    """Rasa's message handler: records what reaches it and answers "bot reply"."""

    def __init__(self, reply: str | None = "bot reply") -> None:
        self.received: list[UserMessage] = []
        self.reply = reply

    async def __call__(self, message: UserMessage) -> None:
        self.received.append(message)
        if self.reply is not None:
            await message.output_channel.send_text_message(message.sender_id, self.reply)
