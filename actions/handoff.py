"""Handing a conversation to a person: the ticket, what the customer is told, and back.

`start_handoff` opens a ticket with the transcript and what the bot knows, then
tells the customer what happens next: their place in the queue and a rough wait
while the team is on duty (the bot pauses until an agent or "never mind" brings
it back), or, outside support hours, a follow-up by email by a promised time.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta, timezone
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ConversationPaused, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions import text
from actions.contact import tell_how_to_reach_staff
from actions.shop import services
from actions.verification import normalise_email
from bot.handoff.context import context, one_line, topic_names, transcript
from bot.handoff.views import TicketSummary

logger = logging.getLogger(__name__)

REASON_SLOT = "handoff_reason"
EXPLANATION_SLOT = "handoff_explanation"
CONTACT_FORM = "handoff_contact_form"
# How much of the customer's own words goes into the explanation for the agent.
QUOTE = 120


def _customer(tracker: Tracker) -> dict[str, Any]:
    customer_id = tracker.get_slot("customer_id")
    email = None
    if customer_id is not None:
        known = services().repository.customer(int(customer_id))
        email = known.email if known else None
    return {
        "id": int(customer_id) if customer_id is not None else None,
        "name": tracker.get_slot("customer_name"),
        "email": email or tracker.get_slot("email"),
    }


def _clear() -> list[EventType]:
    return [SlotSet(REASON_SLOT, None), SlotSet(EXPLANATION_SLOT, None)]


def _tell_queue(dispatcher: CollectingDispatcher, ticket: TicketSummary) -> None:
    store, rules = services().tickets, services().rules
    position = store.position(ticket["id"])
    online = store.online_agents(rules.agent_online_seconds)
    handle = store.handle_seconds(rules.default_handle_minutes * 60)
    minutes = max(1, math.ceil(position * handle / 60 / max(1, len(online))))
    if online:
        dispatcher.utter_message(
            response="utter_handoff_queued", position=position, minutes=minutes
        )
    else:
        dispatcher.utter_message(response="utter_handoff_queued_no_agents", position=position)


def start_handoff(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    domain: DomainDict,
    code: str,
    explanation: str,
) -> list[EventType]:
    """Opens a ticket for this conversation and tells the customer what happens next."""
    try:
        store, rules = services().tickets, services().rules
        now = services().clock.now()
        existing = store.open_for(tracker.sender_id)
        follow_up = existing["follow_up"] if existing is not None else None
        if follow_up is not None and follow_up["by"]:
            # Already promised a reply by email: say so again, and keep helping.
            by = datetime.fromisoformat(follow_up["by"])
            dispatcher.utter_message(
                response="utter_handoff_after_hours",
                email=follow_up["email"],
                when=text.when(domain, by.astimezone(now.tzinfo), now),
            )
            return _clear()
        if existing is not None:
            _tell_queue(dispatcher, existing)
            return [*_clear(), ConversationPaused()]
        status = services().facts.support_hours.status(now)
        customer = _customer(tracker)
        follow_up_by = None
        if not status.open_now:
            if not customer["email"]:
                # Ask for an email first; the form comes back here when it has one.
                return [
                    SlotSet(REASON_SLOT, code),
                    SlotSet(EXPLANATION_SLOT, explanation),
                    FollowupAction(CONTACT_FORM),
                ]
            opening = status.next_opening or now
            follow_up_by = opening + timedelta(hours=rules.follow_up_hours)
        redaction = services().settings.redact
        ctx = context(tracker.events, topic_names(domain.get("responses", {})), redaction)
        ticket = store.create(
            conversation_id=tracker.sender_id,
            channel=tracker.get_latest_input_channel() or "rest",
            reason_code=code,
            explanation=explanation,
            priority=rules.reason(code).priority,
            summary=one_line(ctx, rules.reason(code).label),
            context=ctx,
            transcript=transcript(tracker.events, redaction),
            customer=customer,
            follow_up_email=customer["email"] if follow_up_by else None,
            follow_up_by=(
                follow_up_by.astimezone(timezone.utc).replace(tzinfo=None) if follow_up_by else None
            ),
        )
    except SQLAlchemyError:
        logger.exception("could not open a handoff ticket for %s", tracker.sender_id)
        dispatcher.utter_message(response="utter_handoff_failed")
        tell_how_to_reach_staff(dispatcher, domain)
        return _clear()
    services().webhook.send("ticket.created", ticket)
    if follow_up_by is not None:
        dispatcher.utter_message(
            response="utter_handoff_after_hours",
            email=customer["email"],
            when=text.when(domain, follow_up_by, now),
        )
        return _clear()
    _tell_queue(dispatcher, ticket)
    return [*_clear(), ConversationPaused()]


def reason_for(tracker: Tracker) -> tuple[str, str]:
    """Why this conversation goes to a person: (reason code, explanation for the agent)."""
    rules = services().rules
    code = tracker.get_slot(REASON_SLOT)
    if code in rules.reasons:
        return code, tracker.get_slot(EXPLANATION_SLOT) or rules.reason(code).label
    intent = tracker.get_intent_of_latest_message()
    said = ((tracker.latest_message or {}).get("text") or "").strip()
    quoted = f': "{said[:QUOTE]}"' if said and not said.startswith("/") else ""
    if intent in rules.always_human_intents:
        return "always_human", rules.always_human_intents[intent] + quoted
    return "request_human", rules.reason("request_human").label + quoted


def withdrawn(events: list[dict[str, Any]]) -> bool:
    """Whether the bot was resumed just before the latest message (the channel does this
    for a "never mind" sent while waiting for a person)."""
    users = [index for index, event in enumerate(events) if event.get("event") == "user"]
    if not users:
        return False
    for event in reversed(events[: users[-1]]):
        listening = event.get("event") == "action" and event.get("name") == "action_listen"
        if event.get("event") != "slot" and not listening:
            return bool(event.get("event") == "resume")
    return False


class ActionHandoff(Action):
    """Hands the conversation to a person (asked for, or a topic only people handle)."""

    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        code, explanation = reason_for(tracker)
        return start_handoff(dispatcher, tracker, domain, code, explanation)


class ActionDefaultFallback(Action):
    """After two messages in a row the bot could not understand, a person takes over."""

    def name(self) -> str:
        return "action_default_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        said = [
            event.get("text") or "" for event in tracker.events if event.get("event") == "user"
        ][-2:]
        explanation = "Not understood: " + " / ".join(f'"{line[:80]}"' for line in said)
        dispatcher.utter_message(response="utter_handoff_not_understood")
        return start_handoff(dispatcher, tracker, domain, "not_understood", explanation)


class ActionNevermind(Action):
    """ "Never mind": back with the bot (a waiting handoff was withdrawn by the channel)."""

    def name(self) -> str:
        return "action_nevermind"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(
            response="utter_handoff_withdrawn" if withdrawn(tracker.events) else "utter_nevermind"
        )
        return []


class ValidateHandoffContactForm(FormValidationAction):
    """The email a person replies to when the team is offline."""

    def name(self) -> str:
        return "validate_handoff_contact_form"

    def validate_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        email = normalise_email(value)
        if email is None:
            dispatcher.utter_message(response="utter_invalid_email")
        return {"email": email}
