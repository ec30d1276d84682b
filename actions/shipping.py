"""Delivery options and ways to pay, from the shop's facts."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import text
from actions.shop import services


class ActionShippingInfo(Action):
    def name(self) -> str:
        return "action_shipping_info"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        facts = services().facts
        options = "\n".join(
            text.render(
                domain,
                "utter_shipping_line_free_over" if option.free_over else "utter_shipping_line",
                zone=option.zone,
                method=option.method,
                price=facts.money(option.price),
                free_over=facts.money(option.free_over) if option.free_over else "",
                days=option.days,
            )
            for option in facts.shipping
        )
        dispatcher.utter_message(
            response="utter_shipping_info",
            options=options,
            click_and_collect=facts.click_and_collect,
        )
        return []


class ActionPaymentMethods(Action):
    def name(self) -> str:
        return "action_payment_methods"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        rows = [{"item": method} for method in services().facts.payment_methods]
        dispatcher.utter_message(
            response="utter_payment_methods", methods=text.lines(domain, "utter_list_line", rows)
        )
        return []
