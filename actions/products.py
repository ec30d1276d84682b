"""Stock and restock dates of products."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions import text
from actions.errors import answers_shop_errors
from actions.shop import services

LOW_STOCK = 5


class ValidateProductForm(FormValidationAction):
    @answers_shop_errors
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        events: list[EventType] = await super().run(dispatcher, tracker, domain)
        return events

    def name(self) -> str:
        return "validate_product_form"

    def validate_product(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if isinstance(value, list):
            value = value[0] if value else None
        product = services().repository.product(str(value or ""))
        if product is None:
            dispatcher.utter_message(response="utter_product_unknown")
            return {"product": None}
        return {"product": product.name}


class ActionProductAvailability(Action):
    def name(self) -> str:
        return "action_product_availability"

    @answers_shop_errors
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        reset = [SlotSet("product", None)]
        product = services().repository.product(str(tracker.get_slot("product") or ""))
        if product is None:
            return reset
        facts = services().facts
        values = {"product": product.name, "price": facts.money(product.price)}
        if product.stock > LOW_STOCK:
            dispatcher.utter_message(response="utter_product_in_stock", **values)
        elif product.stock > 0:
            dispatcher.utter_message(
                response="utter_product_low_stock", stock=product.stock, **values
            )
        elif product.restock_date is not None:
            dispatcher.utter_message(
                response="utter_product_restock", restock=text.day(product.restock_date), **values
            )
        else:
            dispatcher.utter_message(response="utter_product_no_restock", **values)
        return reset
