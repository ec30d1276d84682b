"""What the bot does when the FrustrationPolicy sees a customer getting frustrated.

`action_acknowledge_frustration` apologises in words that fit the reason (the
shop let them down, they had to ask again, the bot didn't understand), offers a
person, and then reverts itself so the conversation carries on with what the
customer asked. `action_escalate_frustration` apologises and hands the
conversation to a person with the reasons (`actions.handoff`).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionReverted, EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.handoff import start_handoff

# Requests where a frustrated customer is most likely let down by the shop itself.
SHOP_REQUESTS = frozenset(
    {
        "order_status",
        "cancel_order",
        "change_address",
        "return_item",
        "refund_status",
        "shipping_info",
        "payment_methods",
        "reset_password",
        "loyalty_points",
        "manage_subscription",
        "product_availability",
    }
)


def main_reason(frustration: dict[str, Any] | None) -> str | None:
    """The code of the strongest reason behind the current frustration score."""
    reasons = (frustration or {}).get("reasons") or []
    codes = [
        reason.get("code") for reason in reasons if reason.get("code") != "earlier_frustration"
    ]
    return codes[0] if codes else None


def apology_for(tracker: Tracker) -> str:
    """The apology that fits why the customer is frustrated."""
    reason = main_reason(tracker.get_slot("frustration"))
    if reason == "not_understood":
        return "utter_frustration_not_understood"
    if reason == "repeated_request":
        return "utter_frustration_repeated"
    if tracker.get_intent_of_latest_message() in SHOP_REQUESTS:
        return "utter_frustration_apology"
    return "utter_frustration_empathy"


class ActionAcknowledgeFrustration(Action):
    """Apologises, offers a person, and lets the conversation continue where it was."""

    def name(self) -> str:
        return "action_acknowledge_frustration"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response=apology_for(tracker))
        dispatcher.utter_message(response="utter_offer_human")
        # Undo this action in the dialogue state, so rules and forms answer the request next.
        return [ActionReverted()]


def explain(frustration: dict[str, Any] | None) -> str:
    """For the agent: 'Frustration 0.82 (high): negative message; asked again'."""
    value = frustration or {}
    details = [
        str(reason.get("detail") or reason.get("code")) for reason in value.get("reasons") or []
    ]
    head = f"Frustration {float(value.get('score') or 0):.2f} ({value.get('level') or 'high'})"
    return head + (": " + "; ".join(details) if details else "")


class ActionEscalateFrustration(Action):
    """Apologises and hands the conversation to a person, with the reasons."""

    def name(self) -> str:
        return "action_escalate_frustration"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_frustration_escalate")
        explanation = explain(tracker.get_slot("frustration"))
        return start_handoff(dispatcher, tracker, domain, "frustration", explanation)
