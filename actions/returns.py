"""Starting a return and reporting refunds."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import text
from actions.errors import answers_shop_errors
from actions.order_form import OrderFormValidation
from actions.shop import services
from actions.verification import current_order, is_verified_for, owners_or_public
from bot.shop import rules
from bot.shop.views import OrderView, RefundView

MAX_REASON_LENGTH = 500
OPEN_RETURN_STATUSES = ("requested", "received")


def _matching_item(order: OrderView, value: Any) -> str | None:
    """The order's item the customer means, by exact or partial name."""
    wanted = " ".join(str(value or "").lower().split())
    if not wanted:
        return None
    names = order.item_names
    for name in names:
        if name.lower() == wanted:
            return name
    partial = [name for name in names if wanted in name.lower() or name.lower() in wanted]
    return partial[0] if len(partial) == 1 else None


class ValidateReturnForm(OrderFormValidation):
    def name(self) -> str:
        return "validate_return_form"

    def needs_more_than_order(self, order: OrderView) -> bool:
        window = services().facts.return_window_days
        return rules.return_eligibility(order, services().clock.today(), window).allowed

    def validate_order_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        result = super().validate_order_id(value, dispatcher, tracker, domain)
        order = services().repository.order(result["order_id"]) if result["order_id"] else None
        if order is not None:
            # A one-item order needs no question; an item chosen for another order is dropped.
            chosen = _matching_item(order, tracker.get_slot("return_product"))
            result["return_product"] = order.item_names[0] if len(order.items) == 1 else chosen
        return result

    def validate_return_product(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        order = current_order(tracker)
        if order is None:
            return {"return_product": None}
        if not is_verified_for(order, tracker):
            # Named before the email: what the order holds is the owner's business, so
            # the item is asked for (with the order's items) once the order is proved.
            return {"return_product": None}
        item = _matching_item(order, value)
        if item is None:
            dispatcher.utter_message(
                response="utter_return_item_not_in_order",
                order_id=order.id,
                items=text.items(order),
            )
            return {"return_product": None}
        return {"return_product": item}

    def validate_return_reason(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        reason = " ".join(str(value or "").split())[:MAX_REASON_LENGTH]
        return {"return_reason": reason or None}


class ActionAskReturnProduct(Action):
    """Asks which item to return, with the order's items as buttons."""

    def name(self) -> str:
        return "action_ask_return_product"

    @answers_shop_errors
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        order = current_order(tracker)
        buttons = [
            {"title": name, "payload": f'/inform{{"product": "{name}"}}'}
            for name in (order.item_names if order else [])
        ]
        dispatcher.utter_message(response="utter_ask_return_product", buttons=buttons)
        return []


class ActionStartReturn(Action):
    """Books a return inside the return window, or explains why it cannot be booked."""

    def name(self) -> str:
        return "action_start_return"

    @answers_shop_errors
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        reset = [SlotSet("return_product", None), SlotSet("return_reason", None)]
        order = current_order(tracker)
        if order is None:
            return reset
        facts = services().facts
        eligibility = rules.return_eligibility(
            order, services().clock.today(), facts.return_window_days
        )
        if eligibility.reason == "cancelled":
            dispatcher.utter_message(response="utter_return_order_cancelled", order_id=order.id)
            return reset
        if eligibility.reason == "not_delivered":
            dispatcher.utter_message(
                response="utter_return_not_delivered",
                order_id=order.id,
                window=facts.return_window_days,
            )
            return reset
        if eligibility.reason == "window_closed":
            dispatcher.utter_message(
                response=owners_or_public(
                    order,
                    tracker,
                    "utter_return_window_closed",
                    "utter_return_window_closed_public",
                ),
                order_id=order.id,
                delivered=text.day(order.delivered_at) if order.delivered_at else "",
                window=facts.return_window_days,
                deadline=text.day(eligibility.deadline) if eligibility.deadline else "",
            )
            return reset
        product = tracker.get_slot("return_product")
        reason = tracker.get_slot("return_reason")
        if not product or not reason or not is_verified_for(order, tracker):
            return reset
        existing = next(
            (r for r in order.returns if r.product == product and r.status in OPEN_RETURN_STATUSES),
            None,
        )
        if existing is not None:
            dispatcher.utter_message(
                response="utter_return_exists",
                product=product,
                order_id=order.id,
                status=existing.status,
            )
            return reset
        booked = services().repository.create_return(
            order.id, product, reason, services().clock.now().replace(tzinfo=None)
        )
        dispatcher.utter_message(
            response="utter_return_started",
            return_id=f"R{booked.id:05d}",
            product=product,
            order_id=order.id,
            how=facts.return_how,
            cost=facts.return_cost,
            conditions=facts.return_conditions,
            processing=facts.refund_processing,
        )
        return reset


class ValidateRefundStatusForm(OrderFormValidation):
    owners_only = True  # a refund's amount and dates are the customer's business

    def name(self) -> str:
        return "validate_refund_status_form"


def _refund_values(refund: RefundView) -> dict[str, Any]:
    facts = services().facts
    return {
        "order_id": refund.order_id,
        "amount": facts.money(refund.amount),
        "requested": text.day(refund.requested_at),
        "completed": text.day(refund.completed_at) if refund.completed_at else "",
        "processing": facts.refund_processing,
        "bank_time": facts.refund_bank_time,
    }


class ActionCheckRefundStatus(Action):
    """Reports the latest refund of an order, or what the refund is waiting for."""

    def name(self) -> str:
        return "action_check_refund_status"

    @answers_shop_errors
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        order = current_order(tracker)
        if order is None or not is_verified_for(order, tracker):
            return []  # the form asked a visitor for the order's email, or was stopped
        if order.refunds:
            refund = order.refunds[-1]
            dispatcher.utter_message(
                response=f"utter_refund_{refund.status}", **_refund_values(refund)
            )
            return []
        waiting = next((r for r in order.returns if r.status == "requested"), None)
        if waiting is not None:
            dispatcher.utter_message(
                response="utter_refund_awaiting_return",
                product=waiting.product,
                order_id=order.id,
                processing=services().facts.refund_processing,
            )
        else:
            dispatcher.utter_message(response="utter_refund_none", order_id=order.id)
        return []
