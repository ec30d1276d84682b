"""Order status, cancelling an order, and changing its delivery address."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import text
from actions.account import ACCOUNT_FORMS
from actions.errors import answers_shop_errors
from actions.order_form import OrderFormValidation
from actions.shop import services
from actions.verification import (
    charge_lookup,
    current_order,
    email_subject,
    is_verified_for,
    known_customer_id,
    lookups_used_up,
    normalise_email,
    owners_or_public,
)
from bot.shop import rules
from bot.shop.views import OrderView

MAX_ADDRESS_LENGTH = 200
MIN_ADDRESS_WORDS = 3
RECENT_ORDER_BUTTONS = 4


class ActionAskOrderId(Action):
    """Asks for the order number, offering a known customer's recent orders as buttons."""

    def name(self) -> str:
        return "action_ask_order_id"

    @answers_shop_errors
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        customer_id = known_customer_id(tracker)
        orders = (
            services().repository.recent_orders(customer_id, RECENT_ORDER_BUTTONS)
            if customer_id is not None
            else []
        )
        if not orders:
            for_account = (tracker.active_loop or {}).get("name") in ACCOUNT_FORMS
            dispatcher.utter_message(
                response="utter_ask_order_id_for_account" if for_account else "utter_ask_order_id"
            )
            return []
        buttons = [
            {
                "title": f"{order.id} · {text.items(order)} · {order.status}",
                "payload": f'/inform{{"order_id": "{order.id}"}}',
            }
            for order in orders
        ]
        dispatcher.utter_message(response="utter_ask_order_id_known", buttons=buttons)
        return []


class ValidateOrderStatusForm(OrderFormValidation):
    def name(self) -> str:
        return "validate_order_status_form"


def _order_values(order: OrderView) -> dict[str, Any]:
    return {
        "order_id": order.id,
        "items": text.items(order),
        "carrier": order.carrier or "",
        "tracking": order.tracking_number or "",
        "expected": text.day(order.expected_delivery) if order.expected_delivery else "",
        "delivered": text.day(order.delivered_at) if order.delivered_at else "",
    }


class ActionCheckOrderStatus(Action):
    """Tells the customer where their order is, straight from the database.

    A visitor who has not proved the order with its email hears its status only
    (`utter_order_<status>_public`): items, carrier, tracking and dates are the
    owner's. Giving the email afterwards brings the details (a rule runs this again).
    """

    def name(self) -> str:
        return "action_check_order_status"

    @answers_shop_errors
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        order = current_order(tracker)
        if order is None:
            return []
        status = "late" if rules.is_late(order, services().clock.today()) else order.status
        email = normalise_email(tracker.get_slot("email"))
        visitor = known_customer_id(tracker) is None
        if visitor and email is not None and lookups_used_up(dispatcher, tracker):
            return [SlotSet("email", None)]
        if is_verified_for(order, tracker):
            dispatcher.utter_message(response=f"utter_order_{status}", **_order_values(order))
            return []
        if email is not None:
            # An email that isn't the order's: a guess, counted like one.
            charge_lookup(tracker, email_subject(email))
            dispatcher.utter_message(response="utter_email_mismatch")
            return [SlotSet("email", None)]
        dispatcher.utter_message(response=f"utter_order_{status}_public", order_id=order.id)
        return []


class ValidateCancelOrderForm(OrderFormValidation):
    def name(self) -> str:
        return "validate_cancel_order_form"

    def needs_more_than_order(self, order: OrderView) -> bool:
        return rules.can_cancel(order)


class ActionCancelOrder(Action):
    """Cancels a confirmed order when the rules allow it, or explains the alternatives."""

    def name(self) -> str:
        return "action_cancel_order"

    @answers_shop_errors
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        order = current_order(tracker)
        reset = [SlotSet("confirm_cancel", None)]
        if order is None:
            return reset
        facts = services().facts
        values = _order_values(order)
        if order.status == "cancelled":
            dispatcher.utter_message(response="utter_cancel_already", **values)
        elif order.status == "shipped":
            dispatcher.utter_message(
                response="utter_cancel_too_late_shipped", window=facts.return_window_days, **values
            )
        elif order.status == "delivered":
            eligibility = rules.return_eligibility(
                order, services().clock.today(), facts.return_window_days
            )
            deadline = text.day(eligibility.deadline) if eligibility.deadline else ""
            if eligibility.allowed:
                dispatcher.utter_message(
                    response=owners_or_public(
                        order,
                        tracker,
                        "utter_cancel_too_late_delivered",
                        "utter_cancel_too_late_delivered_public",
                    ),
                    deadline=deadline,
                    **values,
                )
            else:
                dispatcher.utter_message(
                    response=owners_or_public(
                        order,
                        tracker,
                        "utter_return_window_closed",
                        "utter_return_window_closed_public",
                    ),
                    window=facts.return_window_days,
                    deadline=deadline,
                    **values,
                )
        elif tracker.get_slot("confirm_cancel") is True and is_verified_for(order, tracker):
            cancelled = services().repository.cancel_order(
                order.id, services().clock.now().replace(tzinfo=None)
            )
            dispatcher.utter_message(
                response="utter_order_cancelled_now",
                order_id=order.id,
                amount=facts.money(cancelled.total),
                bank_time=facts.refund_bank_time,
            )
        else:
            dispatcher.utter_message(response="utter_cancel_kept", order_id=order.id)
        return reset


class ValidateChangeAddressForm(OrderFormValidation):
    def name(self) -> str:
        return "validate_change_address_form"

    def needs_more_than_order(self, order: OrderView) -> bool:
        return rules.can_change_address(order)

    def validate_new_address(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        address = " ".join(str(value or "").split())
        complete = (
            len(address) <= MAX_ADDRESS_LENGTH
            and len(re.findall(r"\w+", address)) >= MIN_ADDRESS_WORDS
            and re.search(r"\d", address) is not None
        )
        if not complete:
            dispatcher.utter_message(response="utter_invalid_address")
            return {"new_address": None}
        return {"new_address": address}


class ActionChangeAddress(Action):
    """Changes the delivery address of an order that has not shipped yet."""

    def name(self) -> str:
        return "action_change_address"

    @answers_shop_errors
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        order = current_order(tracker)
        reset = [SlotSet("new_address", None), SlotSet("confirm_address", None)]
        if order is None:
            return reset
        values = _order_values(order)
        if order.status == "shipped":
            dispatcher.utter_message(
                response=owners_or_public(
                    order, tracker, "utter_address_too_late", "utter_address_too_late_public"
                ),
                **values,
            )
        elif not rules.can_change_address(order):
            dispatcher.utter_message(
                response="utter_address_order_closed", status=order.status, **values
            )
        elif tracker.get_slot("confirm_address") is True and is_verified_for(order, tracker):
            address = tracker.get_slot("new_address")
            services().repository.change_address(order.id, address)
            dispatcher.utter_message(
                response="utter_address_changed", order_id=order.id, address=address
            )
        else:
            dispatcher.utter_message(response="utter_address_kept", order_id=order.id)
        return reset
