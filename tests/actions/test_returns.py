"""actions/returns.py: starting a return and reporting refunds."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest
from rasa_sdk.events import SlotSet

from actions import shop
from actions.returns import (
    MAX_REASON_LENGTH,
    ActionAskReturnProduct,
    ActionCheckRefundStatus,
    ActionStartReturn,
    ValidateRefundStatusForm,
    ValidateReturnForm,
)

RESET = [SlotSet("return_product", None), SlotSet("return_reason", None)]
RETURN_SLOTS = ["order_id", "email", "return_product", "return_reason"]


def run(action, dispatcher, tracker, domain):
    return asyncio.run(action.run(dispatcher, tracker, domain))


def said(domain, dispatcher) -> list[str]:
    """What the customer reads: each chosen template filled with the action's values."""
    return [
        domain["responses"][message["response"]][0]["text"].format_map(message)
        for message in dispatcher.messages
    ]


MAYA = "maya.patel@example.com"


@pytest.fixture
def maya(shop_db) -> int:
    return shop.services().repository.customer_by_email(MAYA).id


# --- The return form ---


@pytest.mark.parametrize(
    ("order_id", "expected"),
    [
        ("100198", ["order_id", "return_product", "return_reason"]),  # delivered 15 days ago
        ("100231", ["order_id"]),  # shipped, not delivered yet
        ("100245", ["order_id"]),  # processing
    ],
)
def test_return_form_continues_only_for_returnable_orders(
    maya, tracker, dispatcher, domain, order_id, expected
):
    slots = asyncio.run(
        ValidateReturnForm().required_slots(
            RETURN_SLOTS, dispatcher, tracker({"order_id": order_id, "customer_id": maya}), domain
        )
    )
    assert slots == expected


@pytest.mark.parametrize("order_id", ["100150", "100187"])  # window closed, cancelled
def test_return_form_stops_for_orders_that_cannot_be_returned(
    shop_db, tracker, dispatcher, domain, order_id
):
    slots = asyncio.run(
        ValidateReturnForm().required_slots(
            RETURN_SLOTS, dispatcher, tracker({"order_id": order_id}), domain
        )
    )
    assert slots == ["order_id"]


def test_one_item_order_needs_no_question_about_the_item(shop_db, tracker, dispatcher, domain):
    result = ValidateReturnForm().validate_order_id("100150", dispatcher, tracker(), domain)
    assert result == {"order_id": "100150", "return_product": "Camping Stove"}


@pytest.mark.parametrize(
    ("already_named", "expected"),
    [("hoodie", "Fleece Hoodie"), ("Trail Runner Shoes", None), (None, None)],
)
def test_item_named_before_the_order_is_kept_only_if_it_is_in_the_order(
    maya, tracker, dispatcher, domain, already_named, expected
):
    result = ValidateReturnForm().validate_order_id(
        "100198",
        dispatcher,
        tracker({"customer_id": maya, "return_product": already_named}),
        domain,
    )
    assert result == {"order_id": "100198", "return_product": expected}


def test_rejected_order_number_leaves_the_item_alone(shop_db, tracker, dispatcher, domain, chosen):
    result = ValidateReturnForm().validate_order_id("999999", dispatcher, tracker(), domain)
    assert result == {"order_id": None}
    assert chosen(dispatcher) == ["utter_order_not_found"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Fleece Hoodie", "Fleece Hoodie"),
        ("  fleece   HOODIE ", "Fleece Hoodie"),
        ("backpack", "Canvas Backpack"),
        ("the canvas backpack please", "Canvas Backpack"),
    ],
)
def test_return_product_matches_the_orders_items(
    shop_db, tracker, dispatcher, domain, value, expected
):
    result = ValidateReturnForm().validate_return_product(
        value, dispatcher, tracker({"order_id": "100198", "email": MAYA}), domain
    )
    assert result == {"return_product": expected}
    assert dispatcher.messages == []


@pytest.mark.parametrize("value", ["socks", "", None])
def test_item_not_in_the_order_is_rejected_with_the_orders_items(
    shop_db, tracker, dispatcher, domain, chosen, value
):
    result = ValidateReturnForm().validate_return_product(
        value, dispatcher, tracker({"order_id": "100198", "email": MAYA}), domain
    )
    assert result == {"return_product": None}
    assert chosen(dispatcher) == ["utter_return_item_not_in_order"]
    assert said(domain, dispatcher) == [
        "I can't see that item in order 100198. It contains: Fleece Hoodie, Canvas Backpack."
    ]


@pytest.mark.parametrize("value", ["the sleeping bag", "Fleece Hoodie"])
def test_an_item_named_before_the_order_is_proved_is_neither_checked_nor_listed(
    shop_db, tracker, dispatcher, domain, value
):
    result = ValidateReturnForm().validate_return_product(
        value, dispatcher, tracker({"order_id": "100198"}), domain
    )
    assert result == {"return_product": None}  # asked for again, with buttons, once proved
    assert dispatcher.messages == []


def test_return_product_without_an_order_is_cleared(shop_db, tracker, dispatcher, domain):
    result = ValidateReturnForm().validate_return_product("hoodie", dispatcher, tracker(), domain)
    assert result == {"return_product": None}
    assert dispatcher.messages == []


def test_return_reason_is_tidied_and_capped(tracker, dispatcher, domain):
    form = ValidateReturnForm()
    assert form.validate_return_reason("  too   small\n", dispatcher, tracker(), domain) == {
        "return_reason": "too small"
    }
    long = form.validate_return_reason("x" * 600, dispatcher, tracker(), domain)
    assert long == {"return_reason": "x" * MAX_REASON_LENGTH}
    assert form.validate_return_reason("   ", dispatcher, tracker(), domain) == {
        "return_reason": None
    }


def test_ask_return_product_offers_the_orders_items(shop_db, tracker, dispatcher, domain, chosen):
    run(ActionAskReturnProduct(), dispatcher, tracker({"order_id": "100198"}), domain)

    assert chosen(dispatcher) == ["utter_ask_return_product"]
    assert dispatcher.messages[0]["buttons"] == [
        {"title": "Fleece Hoodie", "payload": '/inform{"product": "Fleece Hoodie"}'},
        {"title": "Canvas Backpack", "payload": '/inform{"product": "Canvas Backpack"}'},
    ]


def test_ask_return_product_without_an_order_has_no_buttons(shop_db, tracker, dispatcher, domain):
    run(ActionAskReturnProduct(), dispatcher, tracker(), domain)
    assert dispatcher.messages[0]["buttons"] == []


# --- Booking the return ---


def _start(tracker, dispatcher, domain, **slots):
    return run(ActionStartReturn(), dispatcher, tracker(slots), domain)


def test_return_inside_the_window_is_booked_and_stored(maya, tracker, dispatcher, domain, chosen):
    events = _start(
        tracker,
        dispatcher,
        domain,
        order_id="100198",
        customer_id=maya,
        return_product="Fleece Hoodie",
        return_reason="Wrong size",
    )

    assert events == RESET
    assert chosen(dispatcher) == ["utter_return_started"]
    message = dispatcher.messages[0]
    assert message["return_id"] == "R00003"  # the seed data holds two returns
    assert message["product"] == "Fleece Hoodie"
    assert said(domain, dispatcher)[0].startswith(
        "Your return is booked: return number R00003 for the Fleece Hoodie from order 100198."
    )
    stored = shop.services().repository.order("100198").returns
    assert [(r.id, r.product, r.reason, r.status, r.created_at) for r in stored] == [
        (3, "Fleece Hoodie", "Wrong size", "requested", datetime(2026, 11, 24, 11, 0))
    ]


def test_return_verified_by_email_is_booked(shop_db, tracker, dispatcher, domain, chosen):
    _start(
        tracker,
        dispatcher,
        domain,
        order_id="100240",
        email="sofia.rossi@example.com",
        return_product="Yoga Mat",
        return_reason="Changed my mind",
    )

    assert chosen(dispatcher) == ["utter_return_started"]
    assert [r.product for r in shop.services().repository.order("100240").returns] == [
        "Trekking Poles",
        "Yoga Mat",
    ]


def test_return_is_booked_on_the_last_day_of_the_window(
    maya, at_time, tracker, dispatcher, domain, chosen
):
    at_time("2026-12-09T17:00:00")
    _start(
        tracker,
        dispatcher,
        domain,
        order_id="100198",
        customer_id=maya,
        return_product="Canvas Backpack",
        return_reason="Too small",
    )
    assert chosen(dispatcher) == ["utter_return_started"]


@pytest.mark.parametrize(
    "slots",
    [
        pytest.param({"return_reason": "Too small"}, id="no-item"),
        pytest.param({"return_product": "Fleece Hoodie"}, id="no-reason"),
        pytest.param(
            {"return_product": "Fleece Hoodie", "return_reason": "Too small"}, id="not-verified"
        ),
        pytest.param(
            {
                "return_product": "Fleece Hoodie",
                "return_reason": "Too small",
                "email": "tom.becker@example.org",
            },
            id="someone-else",
        ),
    ],
)
def test_nothing_is_booked_without_item_reason_and_verification(
    shop_db, tracker, dispatcher, domain, slots
):
    assert _start(tracker, dispatcher, domain, order_id="100198", **slots) == RESET
    assert dispatcher.messages == []
    assert shop.services().repository.order("100198").returns == ()


@pytest.mark.parametrize(
    ("order_id", "email", "product", "status"),
    [
        ("100240", "sofia.rossi@example.com", "Trekking Poles", "requested"),
        ("100212", "aisha.khan@example.com", "Down Sleeping Bag", "received"),
    ],
)
def test_open_return_for_the_same_item_is_not_booked_twice(
    shop_db, tracker, dispatcher, domain, chosen, order_id, email, product, status
):
    _start(
        tracker,
        dispatcher,
        domain,
        order_id=order_id,
        email=email,
        return_product=product,
        return_reason="Changed my mind",
    )

    assert chosen(dispatcher) == ["utter_return_exists"]
    assert dispatcher.messages[0]["status"] == status
    assert len(shop.services().repository.order(order_id).returns) == 1


def test_return_window_closed(shop_db, tracker, dispatcher, domain, chosen):
    events = _start(
        tracker,
        dispatcher,
        domain,
        order_id="100150",
        email="tom.becker@example.org",
        return_product="Camping Stove",
        return_reason="Broken",
    )

    assert events == RESET
    assert chosen(dispatcher) == ["utter_return_window_closed"]
    assert said(domain, dispatcher)[0].startswith(
        "I'm sorry, order 100150 was delivered on Friday 25 September and our 30-day return "
        "window closed on Sunday 25 October."
    )
    assert shop.services().repository.order("100150").returns == ()


def test_a_visitor_hears_the_window_closed_without_the_orders_dates(
    shop_db, tracker, dispatcher, domain, chosen
):
    _start(tracker, dispatcher, domain, order_id="100150")

    assert chosen(dispatcher) == ["utter_return_window_closed_public"]
    assert said(domain, dispatcher)[0].startswith(
        "I'm sorry, order 100150 is past our 30-day return window."
    )
    assert "September" not in said(domain, dispatcher)[0]


def test_return_window_closes_the_day_after_the_deadline(
    maya, at_time, tracker, dispatcher, domain, chosen
):
    at_time("2026-12-10T09:00:00")
    _start(
        tracker,
        dispatcher,
        domain,
        order_id="100198",
        customer_id=maya,
        return_product="Fleece Hoodie",
        return_reason="Too small",
    )
    assert chosen(dispatcher) == ["utter_return_window_closed"]
    assert dispatcher.messages[0]["deadline"] == "Wednesday 9 December"


@pytest.mark.parametrize("order_id", ["100231", "100245"])
def test_order_not_delivered_yet_cannot_be_returned(
    maya, tracker, dispatcher, domain, chosen, order_id
):
    _start(
        tracker,
        dispatcher,
        domain,
        order_id=order_id,
        customer_id=maya,
        return_product="Trail Runner Shoes",
        return_reason="Too small",
    )
    assert chosen(dispatcher) == ["utter_return_not_delivered"]
    assert dispatcher.messages[0]["window"] == 30
    assert f"Order {order_id} hasn't been delivered yet" in said(domain, dispatcher)[0]


def test_cancelled_order_has_nothing_to_return(shop_db, tracker, dispatcher, domain, chosen):
    _start(tracker, dispatcher, domain, order_id="100187", return_product="Camping Stove")
    assert chosen(dispatcher) == ["utter_return_order_cancelled"]


def test_start_return_without_an_order_only_resets(shop_db, tracker, dispatcher, domain):
    assert _start(tracker, dispatcher, domain, return_product="Camping Stove") == RESET
    assert dispatcher.messages == []


# --- Refunds ---


def _refund(tracker, dispatcher, domain, order_id):
    """The refund action in a conversation that proved the order with its email."""
    order = shop.services().repository.order(order_id) if order_id else None
    slots = {"order_id": order_id, "email": order.customer_email if order else None}
    return run(ActionCheckRefundStatus(), dispatcher, tracker(slots), domain)


def test_refund_status_needs_the_orders_email_from_a_visitor(shop_db, tracker, dispatcher, domain):
    form = ValidateRefundStatusForm()
    assert form.name() == "validate_refund_status_form"

    def required(slots):
        return asyncio.run(form.required_slots(["order_id"], dispatcher, tracker(slots), domain))

    assert required({"order_id": "100212"}) == ["order_id", "email"]
    assert required({"order_id": "100212", "email": "aisha.khan@example.com"}) == ["order_id"]
    aisha = shop.services().repository.order("100212").customer_id
    assert required({"order_id": "100212", "customer_id": aisha}) == ["order_id"]


def test_a_visitor_who_did_not_prove_the_order_hears_no_refund(
    shop_db, tracker, dispatcher, domain
):
    unproved = tracker({"order_id": "100212", "email": "tom.becker@example.org"})
    assert run(ActionCheckRefundStatus(), dispatcher, unproved, domain) == []
    assert dispatcher.messages == []


def test_refund_being_processed(shop_db, tracker, dispatcher, domain, chosen):
    assert _refund(tracker, dispatcher, domain, "100212") == []

    assert chosen(dispatcher) == ["utter_refund_processing"]
    message = dispatcher.messages[0]
    assert (message["amount"], message["requested"]) == ("£149.00", "Friday 20 November")
    assert said(domain, dispatcher)[0].startswith(
        "Your refund of £149.00 for order 100212 is being processed (since Friday 20 November)."
    )


def test_refund_paid(shop_db, tracker, dispatcher, domain, chosen):
    _refund(tracker, dispatcher, domain, "100187")

    assert chosen(dispatcher) == ["utter_refund_refunded"]
    assert said(domain, dispatcher)[0].startswith(
        "Your refund of £45.00 for order 100187 was paid on Sunday 1 November."
    )


def test_refund_of_a_just_cancelled_order_is_pending(shop_db, tracker, dispatcher, domain, chosen):
    shop.services().repository.cancel_order("100245", datetime(2026, 11, 24, 10, 30))

    _refund(tracker, dispatcher, domain, "100245")

    assert chosen(dispatcher) == ["utter_refund_pending"]
    assert said(domain, dispatcher)[0].startswith(
        "Your refund of £40.00 for order 100245 was requested on Tuesday 24 November"
    )


def test_refund_waits_for_the_returned_item(shop_db, tracker, dispatcher, domain, chosen):
    _refund(tracker, dispatcher, domain, "100240")

    assert chosen(dispatcher) == ["utter_refund_awaiting_return"]
    assert said(domain, dispatcher)[0].startswith(
        "Your return of the Trekking Poles from order 100240 is booked but hasn't reached "
        "our warehouse yet."
    )


def test_order_without_refund_or_return(shop_db, tracker, dispatcher, domain, chosen):
    _refund(tracker, dispatcher, domain, "100231")
    assert chosen(dispatcher) == ["utter_refund_none"]
    assert dispatcher.messages[0]["order_id"] == "100231"


def test_refund_status_without_an_order_says_nothing(shop_db, tracker, dispatcher, domain):
    assert _refund(tracker, dispatcher, domain, None) == []
    assert dispatcher.messages == []


@pytest.mark.parametrize("order_id", ["100212", "100187"])
def test_bank_time_reads_as_one_sentence(shop_db, tracker, dispatcher, domain, order_id):
    _refund(tracker, dispatcher, domain, order_id)
    assert said(domain, dispatcher)[0].count("to show") == 1
