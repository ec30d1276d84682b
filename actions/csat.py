"""After an agent resolves a case, the bot asks the customer how we did (CSAT 1-5 and a comment)."""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.shop import services
from bot.handoff.tickets import TicketError

SCORE = re.compile(r"(?<![\d.])([1-5])(?![\d.])")
WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
SKIPPED = "skipped"
# A confident request for something else means the customer moved on from the survey.
MOVED_ON_CONFIDENCE = 0.8
NOT_AN_ANSWER = frozenset({"affirm", "deny", "inform", "thank_you", "nlu_fallback", "compliment"})


def parse_score(value: Any) -> int | None:
    """1-5 from a button payload, '4', '4 stars', 'five'; None otherwise."""
    if value is None:
        return None
    found = SCORE.search(str(value))
    if found:
        return int(found.group(1))
    for word, score in WORDS.items():
        if re.search(rf"\b{word}\b", str(value).lower()):
            return score
    return None


def _moved_on(tracker: Tracker) -> bool:
    intent = (tracker.latest_message or {}).get("intent") or {}
    return (
        intent.get("name") not in NOT_AN_ANSWER
        and float(intent.get("confidence") or 0) >= MOVED_ON_CONFIDENCE
    )


class ActionHandoffResolved(Action):
    """Run by the console when an agent resolves a ticket: the bot is back and asks for a rating."""

    def name(self) -> str:
        return "action_handoff_resolved"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        ticket = services().tickets.latest_for(tracker.sender_id)
        dispatcher.utter_message(response="utter_handoff_resolved")
        return [SlotSet("csat_ticket", ticket["id"] if ticket else None)]


class ValidateCsatForm(FormValidationAction):
    def name(self) -> str:
        return "validate_csat_form"

    def validate_csat_score(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        score = parse_score(value)
        if score is not None:
            return {"csat_score": str(score)}
        if _moved_on(tracker):
            return {"csat_score": SKIPPED, "csat_comment": SKIPPED}
        dispatcher.utter_message(response="utter_csat_invalid")
        return {"csat_score": None}

    def validate_csat_comment(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_intent_of_latest_message() == "deny" or str(value).startswith("/"):
            return {"csat_comment": ""}
        return {"csat_comment": str(value).strip()[:1000]}


class ActionRecordCsat(Action):
    """Stores the rating with the ticket and thanks the customer."""

    def name(self) -> str:
        return "action_record_csat"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        clear = [SlotSet(name, None) for name in ("csat_score", "csat_comment", "csat_ticket")]
        score = parse_score(tracker.get_slot("csat_score"))
        ticket_id = tracker.get_slot("csat_ticket")
        if score is None or ticket_id is None:
            dispatcher.utter_message(response="utter_csat_skipped")
            return clear
        try:
            ticket = services().tickets.record_csat(
                int(ticket_id), score, tracker.get_slot("csat_comment") or None
            )
            services().webhook.send("ticket.csat", ticket)
        except (SQLAlchemyError, TicketError):
            logging.getLogger(__name__).exception("could not store CSAT for ticket %s", ticket_id)
        dispatcher.utter_message(response="utter_csat_thanks" if score >= 4 else "utter_csat_sorry")
        return clear
