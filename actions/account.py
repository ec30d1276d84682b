"""Password resets and loyalty points."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.errors import answers_shop_errors
from actions.shop import services
from actions.verification import (
    check_email_for_order,
    check_order_id,
    known_customer_id,
    verified_customer_id,
)
from bot.shop.views import CustomerView

ACCOUNT_FORMS = ("loyalty_form", "subscription_form")


def identified_customer(tracker: Tracker) -> CustomerView | None:
    """The customer their channel identified, or who proved one of their orders."""
    customer_id = verified_customer_id(tracker)
    return services().repository.customer(customer_id) if customer_id is not None else None


class AccountFormValidation(FormValidationAction):
    """A visitor proves the account with one of its orders and that order's email.

    An email alone proves nothing (addresses are easy to come by), so a visitor gives
    an order number first; customers their channel identified skip both questions.
    """

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
        if known_customer_id(tracker) is not None:
            return [slot for slot in domain_slots if slot != "email"]
        return ["order_id", *(slot for slot in domain_slots if slot != "order_id")]

    def validate_order_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return check_order_id(value, dispatcher, tracker)

    def validate_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return check_email_for_order(value, dispatcher, tracker)


class ActionResetPassword(Action):
    def name(self) -> str:
        return "action_reset_password"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        facts = services().facts
        dispatcher.utter_message(
            response="utter_reset_password",
            reset_url=facts.reset_url,
            minutes=facts.reset_link_minutes,
        )
        return []


class ValidateLoyaltyForm(AccountFormValidation):
    def name(self) -> str:
        return "validate_loyalty_form"


class ActionLoyaltyPoints(Action):
    """The customer's points balance and what it is worth, then how points work."""

    def name(self) -> str:
        return "action_loyalty_points"

    @answers_shop_errors
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        facts = services().facts
        customer = identified_customer(tracker)
        if customer is not None:
            worth = (
                customer.loyalty_points // facts.loyalty_redeem_points
            ) * facts.loyalty_redeem_value
            dispatcher.utter_message(
                response="utter_loyalty_balance",
                name=customer.first_name,
                points=customer.loyalty_points,
                value=facts.money(worth),
            )
        dispatcher.utter_message(
            response="utter_loyalty_rules",
            earn=facts.loyalty_earn,
            redeem_points=facts.loyalty_redeem_points,
            redeem_value=facts.money(facts.loyalty_redeem_value),
            extras=facts.loyalty_extras,
        )
        return []
