"""Checks shared by the forms: order numbers, emails, and who may act on an order.

A customer their channel identified (bot/identity.py) may act on their own orders.
Anyone else is a visitor: they prove an order by giving the email address it was
placed with, and the order numbers and wrong emails they try are counted
(bot/shop/lookup_limits.py) so that nobody can guess their way through the shop.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.shop import services
from bot.channels.inbound import CLIENT_KEY
from bot.shop.views import OrderView

# What a form's validation returns to stop asking (Rasa ends a form on requested_slot None).
STOP_FORM = {"requested_slot": None}

ORDER_ID = re.compile(r"#?\s*(\d{6})")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")


def _single(value: Any) -> Any:
    """A slot filled from several entities holds a list; the first one counts."""
    if isinstance(value, list):
        return value[0] if value else None
    return value


def normalise_order_id(value: Any) -> str | None:
    """'#100231', ' 100231 ', '١٠٠٢٣١' -> '100231'; anything else -> None."""
    value = _single(value)
    if not isinstance(value, str):
        return None
    match = ORDER_ID.fullmatch(value.strip())
    # Digits of any script (a customer may type Arabic-Indic ones) become ASCII ones.
    return "".join(str(unicodedata.digit(char)) for char in match.group(1)) if match else None


def normalise_email(value: Any) -> str | None:
    value = _single(value)
    if not isinstance(value, str):
        return None
    value = value.strip().lower()
    return value if EMAIL.fullmatch(value) else None


def known_customer_id(tracker: Tracker) -> int | None:
    value = tracker.get_slot("customer_id")
    return int(value) if value is not None else None


def client_of(tracker: Tracker) -> str | None:
    """Who sent the latest message, as its channel put it in the metadata (never the text)."""
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    client = metadata.get(CLIENT_KEY) if isinstance(metadata, dict) else None
    return client if isinstance(client, str) and client else None


def lookups_used_up(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """Whether this visitor has used up their look-ups (and, if so, tells them).

    Asked before checking a guess, so that a refused guess never tells right from wrong.
    """
    if not services().lookup_limits.exhausted(tracker.sender_id, client_of(tracker)):
        return False
    facts = services().facts
    dispatcher.utter_message(
        response="utter_too_many_lookups", phone=facts.contact_phone, email=facts.contact_email
    )
    return True


def charge_lookup(tracker: Tracker, subject: str) -> None:
    """Counts a look-up of `subject` (an order number, a wrong email) against this visitor;
    trying the same one again costs nothing."""
    services().lookup_limits.record(tracker.sender_id, client_of(tracker), subject)


def email_subject(email: str) -> str:
    """What a wrong email is counted as: a digest, so the guess itself isn't kept."""
    return "email:" + hashlib.sha256(email.encode()).hexdigest()[:32]


def is_verified_for(order: OrderView, tracker: Tracker) -> bool:
    """Whether this conversation has shown it may act on `order`."""
    if known_customer_id(tracker) == order.customer_id:
        return True
    email = normalise_email(tracker.get_slot("email"))
    return email is not None and email == order.customer_email.lower()


def owners_or_public(order: OrderView, tracker: Tracker, owners: str, public: str) -> str:
    """`owners` (a response with the order's dates, carrier or items) for whoever proved
    the order, `public` (its status only) for a visitor who hasn't."""
    return owners if is_verified_for(order, tracker) else public


def current_order(tracker: Tracker) -> OrderView | None:
    order_id = normalise_order_id(tracker.get_slot("order_id"))
    return services().repository.order(order_id) if order_id else None


def check_order_id(
    value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
) -> dict[str, Any]:
    """Validates an order number given in a form; utters why when it is rejected."""
    order_id = normalise_order_id(value)
    if order_id is None:
        dispatcher.utter_message(response="utter_invalid_order_id")
        return {"order_id": None}
    customer_id = known_customer_id(tracker)
    if customer_id is None:
        if lookups_used_up(dispatcher, tracker):
            return {"order_id": None, **STOP_FORM}
        charge_lookup(tracker, f"order:{order_id}")
    order = services().repository.order(order_id)
    if order is None:
        dispatcher.utter_message(response="utter_order_not_found", order_id=order_id)
        return {"order_id": None}
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
    if order is None:
        return {"email": email}
    if known_customer_id(tracker) is None and lookups_used_up(dispatcher, tracker):
        return {"email": None, **STOP_FORM}
    if email != order.customer_email.lower():
        charge_lookup(tracker, email_subject(email))
        dispatcher.utter_message(response="utter_email_mismatch")
        return {"email": None}
    return {"email": email}


def verified_customer_id(tracker: Tracker) -> int | None:
    """The customer this conversation is: identified by its channel, or the owner of an
    order the visitor proved with its email."""
    customer_id = known_customer_id(tracker)
    if customer_id is not None:
        return customer_id
    order = current_order(tracker)
    return order.customer_id if order is not None and is_verified_for(order, tracker) else None
