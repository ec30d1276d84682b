"""Pausing, resuming, cancelling and checking the renewal of a Trail Box subscription."""

from __future__ import annotations

from datetime import timedelta

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import text
from actions.account import AccountFormValidation, identified_customer
from actions.errors import answers_shop_errors
from actions.shop import services
from bot.shop.views import SubscriptionView

RENEWAL_DAYS = 30
# What each request changes: the status it leads to, and the statuses it applies to.
TRANSITIONS = {
    "pause": ("paused", ("active",)),
    "resume": ("active", ("paused", "cancelled")),
    "cancel": ("cancelled", ("active", "paused")),
}
CONFIRMATIONS = {
    "paused": "utter_subscription_paused",
    "active": "utter_subscription_resumed",
    "cancelled": "utter_subscription_cancelled",
}


class ValidateSubscriptionForm(AccountFormValidation):
    def name(self) -> str:
        return "validate_subscription_form"


class ActionManageSubscription(Action):
    def name(self) -> str:
        return "action_manage_subscription"

    @answers_shop_errors
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        reset = [SlotSet("subscription_action", None)]
        facts = services().facts
        customer = identified_customer(tracker)
        subscription = services().repository.subscription(customer.id) if customer else None
        if subscription is None:
            dispatcher.utter_message(
                response="utter_subscription_none",
                plan=facts.subscription_plan,
                price=facts.money(facts.subscription_price),
                website=facts.website,
            )
            return reset
        request = tracker.get_slot("subscription_action")
        if request in TRANSITIONS:
            self._change(dispatcher, subscription, request)
        else:
            self._describe_renewal(dispatcher, subscription)
        return reset

    def _change(
        self, dispatcher: CollectingDispatcher, subscription: SubscriptionView, request: str
    ) -> None:
        facts = services().facts
        target, applies_to = TRANSITIONS[request]
        if subscription.status not in applies_to:
            dispatcher.utter_message(
                response="utter_subscription_unchanged",
                plan=subscription.plan,
                status=subscription.status,
            )
            return
        next_renewal = (
            services().clock.today() + timedelta(days=RENEWAL_DAYS) if target == "active" else None
        )
        updated = services().repository.update_subscription(subscription.id, target, next_renewal)
        dispatcher.utter_message(
            response=CONFIRMATIONS[updated.status],
            plan=updated.plan,
            months=facts.subscription_pause_months,
            next_renewal=text.day(updated.next_renewal) if updated.next_renewal else "",
        )

    def _describe_renewal(
        self, dispatcher: CollectingDispatcher, subscription: SubscriptionView
    ) -> None:
        if subscription.status == "active" and subscription.next_renewal:
            dispatcher.utter_message(
                response="utter_subscription_renewal",
                plan=subscription.plan,
                next_renewal=text.day(subscription.next_renewal),
                price=services().facts.money(subscription.monthly_price),
            )
        else:
            dispatcher.utter_message(
                response=f"utter_subscription_is_{subscription.status}", plan=subscription.plan
            )
