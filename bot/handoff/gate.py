"""What a Relay channel does with a message before Rasa handles it.

While a conversation waits for a person, Rasa keeps the bot paused and only
records what the customer says (the agent reads it). If the customer says
"never mind" before an agent has claimed the case, the gate withdraws the ticket
and resumes the bot, so the message is answered by the bot's `nevermind` rule.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from bot.handoff import runtime
from bot.handoff.conversations import Conversations

logger = logging.getLogger(__name__)

NEVERMIND = "nevermind"
MIN_CONFIDENCE = 0.5


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

    async def deliver(self, message: UserMessage) -> Any:
        if self.app is not None and message.sender_id and message.text:
            try:
                await self._maybe_withdraw(message)
            except Exception:  # the customer's message must never be lost
                logger.exception("handoff gate failed for %s", message.sender_id)
        return await self._on_new_message(message)

    async def _maybe_withdraw(self, message: UserMessage) -> None:
        assert self.app is not None
        conversations = Conversations(self.app)
        if not await conversations.is_paused(message.sender_id):
            return
        ticket = runtime.store().open_for(message.sender_id)
        if ticket is None:
            # Paused with no open ticket (closed while the server was down): never stay mute.
            await conversations.set_paused(message.sender_id, False)
            return
        if ticket["status"] != "waiting":
            return
        if await self._withdraws(message):
            closed = runtime.store().close(ticket["id"], None, "returned_to_bot")
            await conversations.set_paused(message.sender_id, False)
            runtime.webhook().send("ticket.returned_to_bot", closed)
