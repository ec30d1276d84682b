"""actions/orders.py: order status, cancelling an order and changing its delivery address."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from decimal import Decimal

import pytest
from rasa_sdk.events import SlotSet

from actions import shop
from actions.orders import (
    ActionAskOrderId,
    ActionCancelOrder,
    ActionChangeAddress,
    ActionCheckOrderStatus,
    ValidateCancelOrderForm,
    ValidateChangeAddressForm,
    ValidateOrderStatusForm,
)

MAYA_EMAIL = "maya.patel@example.com"
NEW_ADDRESS = "12 High Street, Leeds LS1 4AB"


def run(action, dispatcher, tracker, domain):
    return asyncio.run(action.run(dispatcher, tracker, domain))


def said(domain, dispatcher) -> list[str]:
    """What the customer reads: each chosen template filled with the action's values."""
    return [
        domain["responses"][message["response"]][0]["text"].format_map(message)
        for message in dispatcher.messages
    ]


@pytest.fixture
def maya(shop_db) -> int:
    return shop.services().repository.customer_by_email(MAYA_EMAIL).id


# --- Asking for the order number ---


def test_ask_order_id_for_an_unknown_customer_has_no_buttons(
    shop_db, tracker, dispatcher, domain, chosen
):
    assert run(ActionAskOrderId(), dispatcher, tracker(), domain) == []
    assert chosen(dispatcher) == ["utter_ask_order_id"]
    assert dispatcher.messages[0]["buttons"] == []


def test_ask_order_id_offers_a_known_customers_recent_orders_newest_first(
    maya, tracker, dispatcher, domain, chosen
):
    run(ActionAskOrderId(), dispatcher, tracker({"customer_id": maya}), domain)

    assert chosen(dispatcher) == ["utter_ask_order_id_known"]
    buttons = dispatcher.messages[0]["buttons"]
    assert [button["title"] for button in buttons] == [
        "100245 · 2 x Merino Wool Socks, Travel Mug · processing",
        "100231 · Trail Runner Shoes · shipped",
        "100198 · Fleece Hoodie, Canvas Backpack · delivered",
    ]
    assert buttons[0]["payload"] == '/inform{"order_id": "100245"}'
    assert json.loads(buttons[1]["payload"].removeprefix("/inform")) == {"order_id": "100231"}


# --- Order status ---


def owner(order_id: str) -> dict[str, str]:
    """Slots of a conversation that proved the order with its email."""
    order = shop.services().repository.order(order_id.lstrip("#"))
    return {"order_id": order_id, "email": order.customer_email}


def test_order_status_form_only_needs_the_order_number(shop_db, tracker, dispatcher, domain):
    form = ValidateOrderStatusForm()
    slots = asyncio.run(
        form.required_slots(["order_id"], dispatcher, tracker({"order_id": "100231"}), domain)
    )
    assert form.name() == "validate_order_status_form"
    assert slots == ["order_id"]


def test_shipped_order_status_gives_carrier_tracking_number_and_date(
    shop_db, tracker, dispatcher, domain, chosen
):
    events = run(ActionCheckOrderStatus(), dispatcher, tracker(owner("100231")), domain)

    assert events == []
    assert chosen(dispatcher) == ["utter_order_shipped"]
    message = dispatcher.messages[0]
    assert message["tracking"] == "RM123456785GB"
    assert message["carrier"] == "Royal Mail"
    assert message["expected"] == "Wednesday 25 November"
    assert said(domain, dispatcher) == [
        "Good news: order 100231 (Trail Runner Shoes) is on its way with Royal Mail, "
        "tracking number RM123456785GB. It should arrive by Wednesday 25 November."
    ]


def test_order_number_with_hash_is_understood(shop_db, tracker, dispatcher, domain, chosen):
    run(ActionCheckOrderStatus(), dispatcher, tracker(owner("#100231")), domain)
    assert chosen(dispatcher) == ["utter_order_shipped"]


def test_parcel_past_its_expected_day_is_reported_late(
    shop_db, tracker, dispatcher, domain, chosen
):
    run(ActionCheckOrderStatus(), dispatcher, tracker(owner("100233")), domain)

    assert chosen(dispatcher) == ["utter_order_late"]
    assert dispatcher.messages[0]["expected"] == "Sunday 22 November"
    assert dispatcher.messages[0]["tracking"] == "H01HYA0012345678"
    assert "running late" in said(domain, dispatcher)[0]


def test_shipped_order_becomes_late_after_its_expected_day(
    shop_db, at_time, tracker, dispatcher, domain, chosen
):
    at_time("2026-11-26T10:00:00")
    run(ActionCheckOrderStatus(), dispatcher, tracker(owner("100231")), domain)
    assert chosen(dispatcher) == ["utter_order_late"]


@pytest.mark.parametrize(
    ("order_id", "response", "filled"),
    [
        (
            "100245",
            "utter_order_processing",
            {"items": "2 x Merino Wool Socks, Travel Mug", "expected": "Saturday 28 November"},
        ),
        ("100198", "utter_order_delivered", {"delivered": "Monday 9 November"}),
        ("100187", "utter_order_cancelled", {"items": "Camping Stove"}),
    ],
)
def test_order_status_by_state(
    shop_db, tracker, dispatcher, domain, chosen, order_id, response, filled
):
    run(ActionCheckOrderStatus(), dispatcher, tracker(owner(order_id)), domain)

    assert chosen(dispatcher) == [response]
    assert filled.items() <= dispatcher.messages[0].items()
    assert order_id in said(domain, dispatcher)[0]


@pytest.mark.parametrize(
    ("order_id", "status"),
    [
        ("100231", "shipped"),
        ("100233", "late"),
        ("100245", "processing"),
        ("100198", "delivered"),
        ("100187", "cancelled"),
    ],
)
def test_a_visitor_hears_the_status_only(
    shop_db, tracker, dispatcher, domain, chosen, order_id, status
):
    assert run(ActionCheckOrderStatus(), dispatcher, tracker({"order_id": order_id}), domain) == []
    assert chosen(dispatcher) == [f"utter_order_{status}_public"]
    assert dispatcher.messages[0]["order_id"] == order_id
    [text] = said(domain, dispatcher)
    order = shop.services().repository.order(order_id)
    for private in (order.carrier, order.tracking_number, *(i.product for i in order.items)):
        assert not private or private not in text


def test_a_wrong_email_for_the_order_is_counted_and_forgotten(
    shop_db, tracker, dispatcher, domain, chosen
):
    guess = tracker({"order_id": "100231", "email": "tom.becker@example.org"})
    events = run(ActionCheckOrderStatus(), dispatcher, guess, domain)
    assert events == [SlotSet("email", None)]
    assert chosen(dispatcher) == ["utter_email_mismatch"]
    assert shop.services().lookup_limits.exhausted("test-user", None) is False


def test_the_owner_known_by_their_channel_hears_everything(
    shop_db, tracker, dispatcher, domain, chosen
):
    maya = shop.services().repository.order("100231").customer_id
    run(
        ActionCheckOrderStatus(),
        dispatcher,
        tracker({"order_id": "100231", "customer_id": maya}),
        domain,
    )
    assert chosen(dispatcher) == ["utter_order_shipped"]


@pytest.mark.parametrize("order_id", [None, "999999", "not a number"])
def test_order_status_without_a_known_order_says_nothing(
    shop_db, tracker, dispatcher, domain, order_id
):
    assert run(ActionCheckOrderStatus(), dispatcher, tracker({"order_id": order_id}), domain) == []
    assert dispatcher.messages == []


# --- Cancelling ---


def _cancel(tracker, dispatcher, domain, **slots):
    return run(ActionCancelOrder(), dispatcher, tracker(slots), domain)


def test_confirmed_cancel_by_the_known_owner_cancels_and_opens_a_refund(
    maya, tracker, dispatcher, domain, chosen
):
    events = _cancel(
        tracker, dispatcher, domain, order_id="100245", customer_id=maya, confirm_cancel=True
    )

    assert events == [SlotSet("confirm_cancel", None)]
    assert chosen(dispatcher) == ["utter_order_cancelled_now"]
    assert dispatcher.messages[0]["amount"] == "£40.00"
    assert said(domain, dispatcher)[0].startswith(
        "Done: order 100245 is cancelled. Your refund of £40.00 goes back"
    )
    order = shop.services().repository.order("100245")
    assert order.status == "cancelled"
    assert [(r.amount, r.status, r.requested_at) for r in order.refunds] == [
        (Decimal("40.00"), "pending", datetime(2026, 11, 24, 11, 0))
    ]


def test_confirmed_cancel_verified_by_email_cancels(shop_db, tracker, dispatcher, domain, chosen):
    _cancel(
        tracker,
        dispatcher,
        domain,
        order_id="100245",
        email="Maya.Patel@Example.com",
        confirm_cancel=True,
    )

    assert chosen(dispatcher) == ["utter_order_cancelled_now"]
    assert shop.services().repository.order("100245").status == "cancelled"


@pytest.mark.parametrize(
    "slots",
    [
        pytest.param({"confirm_cancel": False, "email": MAYA_EMAIL}, id="denied"),
        pytest.param({"confirm_cancel": None, "email": MAYA_EMAIL}, id="not-answered"),
        pytest.param({"confirm_cancel": True}, id="not-verified"),
        pytest.param(
            {"confirm_cancel": True, "email": "tom.becker@example.org"}, id="someone-elses-email"
        ),
        pytest.param({"confirm_cancel": True, "customer_id": 2}, id="another-customer"),
    ],
)
def test_cancel_keeps_the_order_unless_confirmed_and_verified(
    shop_db, tracker, dispatcher, domain, chosen, slots
):
    events = _cancel(tracker, dispatcher, domain, order_id="100245", **slots)

    assert events == [SlotSet("confirm_cancel", None)]
    assert chosen(dispatcher) == ["utter_cancel_kept"]
    order = shop.services().repository.order("100245")
    assert order.status == "processing"
    assert order.refunds == ()


def test_shipped_order_cannot_be_cancelled(maya, tracker, dispatcher, domain, chosen):
    _cancel(tracker, dispatcher, domain, order_id="100231", customer_id=maya, confirm_cancel=True)

    assert chosen(dispatcher) == ["utter_cancel_too_late_shipped"]
    assert dispatcher.messages[0]["window"] == 30
    assert "return it for free within 30 days" in said(domain, dispatcher)[0]
    assert shop.services().repository.order("100231").status == "shipped"


def test_delivered_order_cannot_be_cancelled_but_can_be_returned_until_the_deadline(
    maya, tracker, dispatcher, domain, chosen
):
    _cancel(tracker, dispatcher, domain, order_id="100198", customer_id=maya, confirm_cancel=True)

    assert chosen(dispatcher) == ["utter_cancel_too_late_delivered"]
    assert said(domain, dispatcher) == [
        "Order 100198 was delivered on Monday 9 November, so it can't be cancelled, "
        "but you can still return it until Wednesday 9 December."
    ]
    assert shop.services().repository.order("100198").status == "delivered"


def test_delivered_order_past_its_return_window_is_not_offered_a_return(
    shop_db, tracker, dispatcher, domain
):
    _cancel(tracker, dispatcher, domain, order_id="100150", email="tom.becker@example.org")

    assert "can still return" not in said(domain, dispatcher)[0]


def test_cancelled_order_is_already_cancelled(shop_db, tracker, dispatcher, domain, chosen):
    _cancel(tracker, dispatcher, domain, order_id="100187", confirm_cancel=True)

    assert chosen(dispatcher) == ["utter_cancel_already"]
    assert len(shop.services().repository.order("100187").refunds) == 1


def test_cancel_without_an_order_only_resets_the_confirmation(shop_db, tracker, dispatcher, domain):
    assert _cancel(tracker, dispatcher, domain, confirm_cancel=True) == [
        SlotSet("confirm_cancel", None)
    ]
    assert dispatcher.messages == []


@pytest.mark.parametrize(
    ("order_id", "expected"),
    [
        ("100245", ["order_id", "confirm_cancel"]),  # processing: carry on to the confirmation
        ("100231", ["order_id"]),  # shipped: stop after the order number
        ("100198", ["order_id"]),  # delivered
    ],
)
def test_cancel_form_slots_depend_on_the_order(
    maya, tracker, dispatcher, domain, order_id, expected
):
    form = ValidateCancelOrderForm()
    slots = asyncio.run(
        form.required_slots(
            ["order_id", "email", "confirm_cancel"],
            dispatcher,
            tracker({"order_id": order_id, "customer_id": maya}),
            domain,
        )
    )
    assert slots == expected


def test_cancel_form_ends_after_the_number_of_a_shipped_order(shop_db, tracker, dispatcher, domain):
    candidate = SlotSet("order_id", "100231")
    form_tracker = tracker(
        {"order_id": "100231"}, active_loop="cancel_order_form", events=[candidate]
    )

    events = asyncio.run(ValidateCancelOrderForm().run(dispatcher, form_tracker, domain))

    assert events == [SlotSet("order_id", "100231"), SlotSet("requested_slot", None)]


# --- Changing the address ---


def _change(tracker, dispatcher, domain, **slots):
    return run(ActionChangeAddress(), dispatcher, tracker(slots), domain)


RESET_ADDRESS = [SlotSet("new_address", None), SlotSet("confirm_address", None)]


def test_confirmed_address_change_updates_a_processing_order(
    maya, tracker, dispatcher, domain, chosen
):
    events = _change(
        tracker,
        dispatcher,
        domain,
        order_id="100245",
        customer_id=maya,
        new_address=NEW_ADDRESS,
        confirm_address=True,
    )

    assert events == RESET_ADDRESS
    assert chosen(dispatcher) == ["utter_address_changed"]
    assert said(domain, dispatcher) == [f"Done: order 100245 will be delivered to {NEW_ADDRESS}."]
    assert shop.services().repository.order("100245").delivery_address == NEW_ADDRESS


@pytest.mark.parametrize(
    "slots",
    [
        pytest.param({"confirm_address": False, "email": MAYA_EMAIL}, id="denied"),
        pytest.param({"confirm_address": True}, id="not-verified"),
        pytest.param({"confirm_address": True, "email": "liam.oconnor@example.net"}, id="wrong"),
    ],
)
def test_address_stays_unless_confirmed_and_verified(
    shop_db, tracker, dispatcher, domain, chosen, slots
):
    events = _change(
        tracker, dispatcher, domain, order_id="100245", new_address=NEW_ADDRESS, **slots
    )

    assert events == RESET_ADDRESS
    assert chosen(dispatcher) == ["utter_address_kept"]
    assert (
        shop.services().repository.order("100245").delivery_address
        == "14 Elm Row, Edinburgh EH7 4AA"
    )


def test_a_visitor_hears_a_delivered_order_cant_be_cancelled_without_its_dates(
    shop_db, tracker, dispatcher, domain, chosen
):
    _cancel(tracker, dispatcher, domain, order_id="100198", confirm_cancel=True)

    assert chosen(dispatcher) == ["utter_cancel_too_late_delivered_public"]
    assert said(domain, dispatcher) == [
        "Order 100198 has been delivered, so it can't be cancelled, but you can still return it."
    ]


def test_a_visitor_hears_a_closed_return_window_without_the_orders_dates(
    shop_db, tracker, dispatcher, domain, chosen
):
    _cancel(tracker, dispatcher, domain, order_id="100150", confirm_cancel=True)

    assert chosen(dispatcher) == ["utter_return_window_closed_public"]


def test_a_visitor_hears_a_shipped_order_cant_change_address_without_carrier_or_tracking(
    shop_db, tracker, dispatcher, domain, chosen
):
    _change(tracker, dispatcher, domain, order_id="100231", new_address=NEW_ADDRESS)

    assert chosen(dispatcher) == ["utter_address_too_late_public"]
    text = said(domain, dispatcher)[0]
    assert "RM123456785GB" not in text and "Royal Mail" not in text


def test_shipped_order_address_cannot_change(maya, tracker, dispatcher, domain, chosen):
    _change(
        tracker,
        dispatcher,
        domain,
        order_id="100231",
        customer_id=maya,
        new_address=NEW_ADDRESS,
        confirm_address=True,
    )

    assert chosen(dispatcher) == ["utter_address_too_late"]
    assert "tracking number RM123456785GB" in said(domain, dispatcher)[0]
    assert (
        shop.services().repository.order("100231").delivery_address
        == "14 Elm Row, Edinburgh EH7 4AA"
    )


@pytest.mark.parametrize(("order_id", "status"), [("100198", "delivered"), ("100187", "cancelled")])
def test_closed_order_has_no_address_to_change(
    shop_db, tracker, dispatcher, domain, chosen, order_id, status
):
    _change(
        tracker,
        dispatcher,
        domain,
        order_id=order_id,
        new_address=NEW_ADDRESS,
        confirm_address=True,
    )

    assert chosen(dispatcher) == ["utter_address_order_closed"]
    assert said(domain, dispatcher) == [
        f"Order {order_id} is {status}, so there's no delivery address to change."
    ]


def test_address_change_without_an_order_only_resets(shop_db, tracker, dispatcher, domain):
    assert _change(tracker, dispatcher, domain, new_address=NEW_ADDRESS) == RESET_ADDRESS
    assert dispatcher.messages == []


def test_complete_address_is_accepted_with_whitespace_tidied(shop_db, tracker, dispatcher, domain):
    result = ValidateChangeAddressForm().validate_new_address(
        "  12 High   Street,\n Leeds LS1 4AB ", dispatcher, tracker(), domain
    )
    assert result == {"new_address": NEW_ADDRESS}
    assert dispatcher.messages == []


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "Leeds",  # too short
        "High Street, Leeds",  # no house number
        "12 Leeds",  # only two words
        "1 " + "long " * 60 + "Street",  # over 200 characters
    ],
)
def test_incomplete_address_is_rejected(shop_db, tracker, dispatcher, domain, chosen, value):
    result = ValidateChangeAddressForm().validate_new_address(value, dispatcher, tracker(), domain)
    assert result == {"new_address": None}
    assert chosen(dispatcher) == ["utter_invalid_address"]


@pytest.mark.parametrize(
    ("order_id", "expected"),
    [
        ("100245", ["order_id", "new_address", "confirm_address"]),
        ("100231", ["order_id"]),
        ("100187", ["order_id"]),
    ],
)
def test_change_address_form_slots_depend_on_the_order(
    maya, tracker, dispatcher, domain, order_id, expected
):
    slots = asyncio.run(
        ValidateChangeAddressForm().required_slots(
            ["order_id", "email", "new_address", "confirm_address"],
            dispatcher,
            tracker({"order_id": order_id, "customer_id": maya}),
            domain,
        )
    )
    assert slots == expected
