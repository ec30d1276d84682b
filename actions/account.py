"""Password resets and loyalty points."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions import shop
from actions.errors import answers_shop_errors
from actions.verification import check_email_for_account, known_customer_id, normalise_email
from bot.shop.views import CustomerView


def identified_customer(tracker: Tracker) -> CustomerView | None:
    """The customer recognised by channel id, or by a verified account email."""
    customer_id = known_customer_id(tracker)
    if customer_id is not None:
        return shop.repository().customer(customer_id)
    email = normalise_email(tracker.get_slot("email"))
    return shop.repository().customer_by_email(email) if email else None


class AccountFormValidation(FormValidationAction):
    """Skips the email question for customers Relay already knows."""

    @answers_shop_errors
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return await super().run(dispatcher, tracker, domain)

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
        return domain_slots

    def validate_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return check_email_for_account(value, dispatcher, tracker)


class ActionResetPassword(Action):
    def name(self) -> str:
        return "action_reset_password"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        facts = shop.facts()
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
        facts = shop.facts()
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
