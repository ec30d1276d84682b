"""Checks shared by the forms: order numbers, emails, and who may act on an order.

A customer recognised by their channel id may act on their own orders. Anyone
else proves ownership by giving the email address the order was placed with.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import shop
from bot.shop.views import OrderView

ORDER_ID = re.compile(r"#?\s*(\d{6})")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")


def _single(value: Any) -> Any:
    """A slot filled from several entities holds a list; the first one counts."""
    if isinstance(value, list):
        return value[0] if value else None
    return value


def normalise_order_id(value: Any) -> str | None:
    """'#100231', ' 100231 ' -> '100231'; anything else -> None."""
    value = _single(value)
    if not isinstance(value, str):
        return None
    match = ORDER_ID.fullmatch(value.strip())
    return match.group(1) if match else None


def normalise_email(value: Any) -> str | None:
    value = _single(value)
    if not isinstance(value, str):
        return None
    value = value.strip().lower()
    return value if EMAIL.fullmatch(value) else None


def known_customer_id(tracker: Tracker) -> int | None:
    value = tracker.get_slot("customer_id")
    return int(value) if value is not None else None


def is_verified_for(order: OrderView, tracker: Tracker) -> bool:
    """Whether this conversation has shown it may act on `order`."""
    if known_customer_id(tracker) == order.customer_id:
        return True
    email = normalise_email(tracker.get_slot("email"))
    return email is not None and email == order.customer_email.lower()


def current_order(tracker: Tracker) -> OrderView | None:
    order_id = normalise_order_id(tracker.get_slot("order_id"))
    return shop.repository().order(order_id) if order_id else None


def check_order_id(
    value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
) -> dict[str, Any]:
    """Validates an order number given in a form; utters why when it is rejected."""
    order_id = normalise_order_id(value)
    if order_id is None:
        dispatcher.utter_message(response="utter_invalid_order_id")
        return {"order_id": None}
    order = shop.repository().order(order_id)
    if order is None:
        dispatcher.utter_message(response="utter_order_not_found", order_id=order_id)
        return {"order_id": None}
    customer_id = known_customer_id(tracker)
    if customer_id is not None and order.customer_id != customer_id:
        dispatcher.utter_message(response="utter_order_not_on_account", order_id=order_id)
        return {"order_id": None}
    return {"order_id": order_id}


def check_email_for_order(
    value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
) -> dict[str, Any]:
    """Accepts the email only when it is the one the current order was placed with."""
    email = normalise_email(value)
    if email is None:
        dispatcher.utter_message(response="utter_invalid_email")
        return {"email": None}
    order = current_order(tracker)
    if order is not None and email != order.customer_email.lower():
        dispatcher.utter_message(response="utter_email_mismatch")
        return {"email": None}
    return {"email": email}


def check_email_for_account(
    value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
) -> dict[str, Any]:
    """Accepts the email only when a customer account has it."""
    email = normalise_email(value)
    if email is None:
        dispatcher.utter_message(response="utter_invalid_email")
        return {"email": None}
    if shop.repository().customer_by_email(email) is None:
        dispatcher.utter_message(response="utter_email_unknown")
        return {"email": None}
    return {"email": email}
