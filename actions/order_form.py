"""The shape shared by every form that acts on one order."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.errors import answers_shop_errors
from actions.shop import services
from actions.verification import (
    STOP_FORM,
    charge_lookup,
    check_email_for_order,
    check_order_id,
    current_order,
    email_subject,
    is_verified_for,
    known_customer_id,
    lookups_used_up,
    normalise_email,
)
from bot.shop.views import OrderView


class OrderFormValidation(FormValidationAction):
    """Validates the order number, then asks for the email only when ownership is unproven.

    Subclasses name the form and say, through `needs_more_than_order`, whether
    the rest of the form makes sense for this order (a shipped order cannot be
    cancelled, so the cancel form stops after the order number and its submit
    action explains why).
    """

    # Whether what the form tells is the owner's only (a refund): visitors prove the order.
    owners_only = False

    def needs_more_than_order(self, order: OrderView) -> bool:
        return True

    @answers_shop_errors
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        events: list[EventType] = await super().run(dispatcher, tracker, domain)
        return events

    @abstractmethod
    def name(self) -> str:
        """Each form's validation action is named `validate_<form name>`."""

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        order = current_order(tracker)
        if order is None:
            return domain_slots
        if not self.needs_more_than_order(order):
            return ["order_id"]
        if is_verified_for(order, tracker):
            return [slot for slot in domain_slots if slot != "email"]
        if self.owners_only and "email" not in domain_slots:
            return [*domain_slots, "email"]
        return domain_slots

    def validate_order_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        result = check_order_id(value, dispatcher, tracker)
        order_id = result["order_id"]
        email = normalise_email(tracker.get_slot("email"))
        if order_id is None or email is None:
            return result
        visitor = known_customer_id(tracker) is None
        if visitor and lookups_used_up(dispatcher, tracker):
            return {"order_id": None, "email": None, **STOP_FORM}
        order = services().repository.order(order_id)
        if order is not None and email != order.customer_email.lower():
            # An email that isn't this order's proves nothing; from a visitor it is a guess.
            result["email"] = None
            if visitor:
                charge_lookup(tracker, email_subject(email))
                dispatcher.utter_message(response="utter_email_mismatch")
        return result

    def validate_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return check_email_for_order(value, dispatcher, tracker)
