"""Acting on a customer's conversation from inside the Rasa server, for the console.

Pauses and resumes the bot (Rasa's ConversationPaused / ConversationResumed),
sends an agent's words or a domain response to the customer on the channel they
last wrote on, and runs a bot action (the CSAT survey) out of turn. Every change
holds the conversation's lock, as Rasa does when it handles a message, so an
agent's reply and a customer's message never overwrite each other.
"""

from __future__ import annotations

from typing import Any

from rasa.core.actions.action import create_bot_utterance
from rasa.core.channels.channel import CollectingOutputChannel, OutputChannel
from rasa.core.policies.policy import PolicyPrediction
from rasa.shared.core.events import (
    ActionExecuted,
    ConversationPaused,
    ConversationResumed,
)
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Sanic

from bot import identity
from bot.handoff.context import AGENT_KEY

LISTEN = "action_listen"


class NotDelivered(Exception):
    """A message for the customer did not reach them; the reason reads well to an agent."""


# The channel that reaches each namespace's conversations (see bot/identity.py).
CHANNELS = {identity.TELEGRAM: "relay_telegram", identity.WIDGET: "widget", identity.REST: "rest"}
# A signed-in shop customer writes on the widget or through the shop's backend (REST):
# both keep later messages in the same outbox, so either one reaches them.
OUTBOX_CHANNELS = ("widget", "rest")


def channel_for(conversation_id: str, latest: str | None) -> str | None:
    """The name of the channel whose output reaches `conversation_id`."""
    found = identity.address(conversation_id)
    if found is None:
        return None
    if found.namespace == identity.SITE:
        return latest if latest in OUTBOX_CHANNELS else "rest"
    return CHANNELS[found.namespace]


class Conversations:
    """The Rasa agent's conversations, as the console sees them."""

    def __init__(self, app: Sanic) -> None:
        self._app = app

    @property
    def _agent(self) -> Any:
        return self._app.ctx.agent

    def output_channel(self, tracker: DialogueStateTracker) -> OutputChannel:
        """The output channel of the channel that owns the conversation.

        The conversation id's namespace says which channel that is (bot/identity.py),
        never the channel a message last came from: replies can't be diverted.
        """
        name = channel_for(tracker.sender_id, tracker.get_latest_input_channel())
        for channel in getattr(self._app.ctx, "input_channels", None) or []:
            if channel.name() == name:
                output = channel.get_output_channel()
                if output is not None:
                    return output
        return CollectingOutputChannel()

    async def events(self, conversation_id: str) -> list[dict[str, Any]]:
        """The current session's events, as dicts."""
        tracker = await self._agent.tracker_store.retrieve(conversation_id)
        return [event.as_dict() for event in tracker.events] if tracker else []

    async def is_paused(self, conversation_id: str) -> bool:
        tracker = await self._agent.tracker_store.retrieve(conversation_id)
        return bool(tracker and tracker.is_paused())

    async def _send(
        self, tracker: DialogueStateTracker, message: dict[str, Any], metadata: dict[str, Any]
    ) -> list[str]:
        """Sends and records `message`; returns why it didn't reach the customer, if it didn't."""
        output = self.output_channel(tracker)
        await output.send_response(tracker.sender_id, dict(message))
        event = create_bot_utterance(dict(message))
        event.metadata = {**(event.metadata or {}), **metadata}
        tracker.update(event)
        return list(getattr(output, "undelivered", None) or [])

    async def say_as_agent(self, conversation_id: str, text: str, agent: dict[str, str]) -> None:
        """Sends an agent's message to the customer and records it in the conversation.

        Raises:
            NotDelivered: The customer's channel refused or could not be reached (the
                message stays in the conversation, so the agent sees what they wrote).
        """
        processor = self._agent.processor
        async with self._agent.lock_store.lock(conversation_id):
            tracker = await processor.get_tracker(conversation_id)
            undelivered = await self._send(tracker, {"text": text}, {AGENT_KEY: agent})
            await processor.save_tracker(tracker)
        if undelivered:
            raise NotDelivered("; ".join(dict.fromkeys(undelivered)))

    async def utter(self, conversation_id: str, response: str, **values: Any) -> None:
        """Sends one of the domain's responses, filled with `values`."""
        processor = self._agent.processor
        async with self._agent.lock_store.lock(conversation_id):
            tracker = await processor.get_tracker(conversation_id)
            output = self.output_channel(tracker)
            message = await self._agent.nlg.generate(response, tracker, output.name(), **values)
            if message:
                await self._send(tracker, message, {"utter_action": response})
                await processor.save_tracker(tracker)

    async def set_paused(self, conversation_id: str, paused: bool) -> None:
        processor = self._agent.processor
        async with self._agent.lock_store.lock(conversation_id):
            tracker = await processor.get_tracker(conversation_id)
            if tracker.is_paused() != paused:
                if paused:
                    tracker.update(ConversationPaused())
                else:
                    # Rules expect a user turn to follow the bot listening, so resume listening.
                    tracker.update(ConversationResumed())
                    tracker.update(ActionExecuted(LISTEN))
                await processor.save_tracker(tracker)

    async def run_actions(self, conversation_id: str, *names: str) -> None:
        """Runs bot actions out of turn (e.g. after a resolve), then listens again."""
        processor = self._agent.processor
        domain = self._agent.domain
        async with self._agent.lock_store.lock(conversation_id):
            tracker = await processor.get_tracker(conversation_id)
            output = self.output_channel(tracker)
            for name in names:
                await processor.execute_action(
                    conversation_id,
                    name,
                    output,
                    self._agent.nlg,
                    PolicyPrediction.for_action_name(domain, name),
                )
            tracker = await processor.get_tracker(conversation_id)
            tracker.update(ActionExecuted(LISTEN))
            await processor.save_tracker(tracker)
