"""What a Relay channel does with a message before Rasa handles it.

- A payload (`/intent{...}`) counts only if the bot offered it as a button
  (bot/channels/payloads.py): a customer can't type `/restart` to wake a paused
  conversation or `/inform{...}` to set slots.
- While a conversation waits for a person, Rasa keeps the bot paused and only
  records what the customer says (the agent reads it). If the customer says
  "never mind" before an agent has claimed the case, the gate withdraws the ticket
  and resumes the bot, so the message is answered by the bot's `nevermind` rule.
- A conversation that can't be read raises `ConversationUnavailable`, never an
  answer as if the customer were new.

The ticket store and the webhook block (SQLAlchemy): the gate calls them in a worker
thread, so a customer's message never holds up the event loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Sanic

from bot.channels.payloads import customer_text, offered
from bot.console.conversations import Conversations
from bot.handoff.tickets import TicketConflict
from bot.ops import logs
from bot.ops.conversation_store import ConversationStoreDown
from bot.ops.hardening import harden
from bot.services import of_app

logger = logging.getLogger(__name__)

NEVERMIND = "nevermind"
MIN_CONFIDENCE = 0.5


class ConversationUnavailable(Exception):
    """The conversation could not be read or saved, so the message was not handled.

    Channels answer with an apology and a status the client retries on (the widget
    sends the message again; Telegram's channel keeps the recorded update and retries
    it), so nothing is lost.
    """


class Gate:
    def __init__(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        self._on_new_message = on_new_message
        self.app: Sanic | None = None

    async def _withdraws(self, message: UserMessage) -> bool:
        text = (message.text or "").strip()
        if text.startswith(f"/{NEVERMIND}"):
            return True
        assert self.app is not None
        parsed = await self.app.ctx.agent.parse_message(text)
        intent = parsed.get("intent") or {}
        return intent.get("name") == NEVERMIND and intent.get("confidence", 0) >= MIN_CONFIDENCE

    async def _tracker(self, sender_id: str) -> DialogueStateTracker | None:
        assert self.app is not None
        agent = getattr(self.app.ctx, "agent", None)
        if agent is None or getattr(agent, "tracker_store", None) is None:
            raise ConversationUnavailable("the assistant is still starting")
        harden(agent, of_app(self.app))
        try:
            tracker: DialogueStateTracker | None = await agent.tracker_store.retrieve(sender_id)
        except Exception as error:
            raise ConversationUnavailable(f"conversation {sender_id} unreadable") from error
        return tracker

    async def deliver(self, message: UserMessage) -> Any:
        """Passes a customer's message to Rasa, after the checks in the module docstring."""
        if self.app is None or not message.sender_id:
            return await self._on_new_message(message)
        with logs.about(message.sender_id):
            tracker = await self._tracker(message.sender_id)
            if message.text:
                allowed = offered(tracker.events if tracker else [])
                message.text = customer_text(message.text, allowed)
            if tracker is not None and tracker.is_paused() and message.text:
                try:
                    await self._maybe_withdraw(message)
                except Exception:  # the customer's message must never be lost
                    logger.exception("handoff gate failed for %s", message.sender_id)
            try:
                return await self._on_new_message(message)
            except ConversationStoreDown as error:
                raise ConversationUnavailable(str(error)) from error

    async def _maybe_withdraw(self, message: UserMessage) -> None:
        assert self.app is not None
        conversations = Conversations(self.app)
        services = of_app(self.app)
        ticket = await asyncio.to_thread(services.tickets.open_for, message.sender_id)
        if ticket is None:
            # Paused with no open ticket (closed while the server was down): never stay mute.
            await conversations.set_paused(message.sender_id, False)
            return
        if ticket["status"] != "waiting":
            return
        if await self._withdraws(message):
            try:
                closed = await asyncio.to_thread(
                    services.tickets.close, ticket["id"], None, "returned_to_bot", only_if="waiting"
                )
            except TicketConflict:  # an agent claimed it a moment ago: the person stays
                return
            await conversations.set_paused(message.sender_id, False)
            await asyncio.to_thread(services.webhook.send, "ticket.returned_to_bot", closed)
