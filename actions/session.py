"""Session start (recognising returning customers) and greetings."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import (
    ActionExecuted,
    ConversationPaused,
    EventType,
    SessionStarted,
    SlotSet,
)
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.shop import services
from bot.identity import customer_link

logger = logging.getLogger(__name__)

IDENTITY_SLOTS = ("customer_id", "customer_name")
MAX_NAME = 60


def _carried_over_slots(tracker: Tracker) -> list[EventType]:
    return [
        SlotSet(name, value)
        for name, value in tracker.current_slot_values().items()
        if name not in IDENTITY_SLOTS and name != "requested_slot" and value is not None
    ]


class ActionSessionStart(Action):
    """Starts a session and recognises a customer the conversation's channel proved.

    Only the channel's namespace in the conversation id counts (bot/identity.py): a
    Telegram id typed on another channel names another conversation, not the customer.
    """

    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        events: list[EventType] = [SessionStarted(), *_carried_over_slots(tracker)]
        link = customer_link(tracker.sender_id)
        try:
            customer = services().repository.customer_by_link(link) if link else None
        except SQLAlchemyError:
            logger.exception("could not look up customer for sender %s", tracker.sender_id)
            customer = None
        if customer is not None:
            events += [
                SlotSet("customer_id", customer.id),
                SlotSet("customer_name", customer.first_name),
            ]
        elif first_name := _first_name(tracker):
            # Not a known customer, but the channel told us their name (Telegram does).
            events.append(SlotSet("customer_name", first_name))
        events.append(ActionExecuted("action_listen"))
        if _waiting_for_a_person(tracker.sender_id):
            # A new session must not wake the bot while a person has the conversation.
            events.append(ConversationPaused())
        return events


def _first_name(tracker: Tracker) -> str | None:
    """The first name in the metadata of the message that started the session, if any."""
    metadata = tracker.get_slot("session_started_metadata") or {}
    name = metadata.get("first_name") if isinstance(metadata, dict) else None
    if not isinstance(name, str) or not name.strip():
        return None
    return name.strip()[:MAX_NAME]


def _waiting_for_a_person(sender_id: str) -> bool:
    """An open handoff in the chat (not an after-hours one, answered by email)."""
    try:
        ticket = services().tickets.open_for(sender_id)
    except SQLAlchemyError:
        logger.exception("could not look up open tickets for %s", sender_id)
        return False
    return ticket is not None and not ticket["follow_up"]


class ActionGreet(Action):
    """Greets returning customers by name."""

    def name(self) -> str:
        return "action_greet"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        name = tracker.get_slot("customer_name")
        if name and tracker.get_slot("customer_id") is not None:
            dispatcher.utter_message(response="utter_greet_known", name=name)
        elif name:
            dispatcher.utter_message(response="utter_greet_named", name=name)
        else:
            dispatcher.utter_message(response="utter_greet")
        return []
