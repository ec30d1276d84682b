"""actions/account.py: identifying the customer, password resets and loyalty points."""

from __future__ import annotations

import asyncio

import pytest

from actions import shop
from actions.account import (
    AccountFormValidation,
    ActionLoyaltyPoints,
    ActionResetPassword,
    ValidateLoyaltyForm,
    identified_customer,
)


def run(action, dispatcher, tracker, domain):
    return asyncio.run(action.run(dispatcher, tracker, domain))


def said(domain, dispatcher) -> list[str]:
    """What the customer reads: each chosen template filled with the action's values."""
    return [
        domain["responses"][message["response"]][0]["text"].format_map(message)
        for message in dispatcher.messages
    ]


def customer_id(email: str) -> int:
    return shop.services().repository.customer_by_email(email).id


def test_customer_is_identified_by_channel_id_first(shop_db, tracker):
    maya = customer_id("maya.patel@example.com")
    found = identified_customer(tracker({"customer_id": maya, "email": "sofia.rossi@example.com"}))
    assert found.name == "Maya Patel"


def test_a_visitor_is_identified_by_an_order_and_its_email(shop_db, tracker):
    proved = tracker({"order_id": "100240", "email": " Sofia.Rossi@example.com"})
    assert identified_customer(proved).name == "Sofia Rossi"


@pytest.mark.parametrize(
    "slots",
    [
        {"email": "sofia.rossi@example.com"},  # an email alone is easy to come by
        {"order_id": "100240"},
        {"order_id": "100240", "email": "maya.patel@example.com"},
        {"email": None},
        {"email": "not-an-email"},
    ],
)
def test_no_customer_without_a_known_id_or_a_proved_order(shop_db, tracker, slots):
    assert identified_customer(tracker(slots)) is None


def test_account_forms_must_be_named():
    with pytest.raises(TypeError):
        AccountFormValidation()
    assert ValidateLoyaltyForm().name() == "validate_loyalty_form"


def test_a_known_customer_is_asked_nothing_and_a_visitor_for_an_order_first(
    shop_db, tracker, dispatcher, domain
):
    form = ValidateLoyaltyForm()
    known = tracker({"customer_id": customer_id("maya.patel@example.com")})
    assert asyncio.run(form.required_slots(["email"], dispatcher, known, domain)) == []
    visitor = asyncio.run(form.required_slots(["email"], dispatcher, tracker(), domain))
    assert visitor == ["order_id", "email"]


def test_the_account_email_must_be_the_orders(shop_db, tracker, dispatcher, domain, chosen):
    form = ValidateLoyaltyForm()
    on_order = tracker({"order_id": "100212"})
    assert form.validate_order_id("100212", dispatcher, tracker(), domain) == {"order_id": "100212"}
    assert form.validate_email("AISHA.KHAN@example.com", dispatcher, on_order, domain) == {
        "email": "aisha.khan@example.com"
    }
    # Another customer's address, even a real one, is not this order's.
    assert form.validate_email("maya.patel@example.com", dispatcher, on_order, domain) == {
        "email": None
    }
    assert form.validate_email("ghost", dispatcher, on_order, domain) == {"email": None}
    assert chosen(dispatcher) == ["utter_email_mismatch", "utter_invalid_email"]


def test_reset_password_points_to_the_reset_page(shop_db, tracker, dispatcher, domain, chosen):
    assert run(ActionResetPassword(), dispatcher, tracker(), domain) == []

    assert chosen(dispatcher) == ["utter_reset_password"]
    assert said(domain, dispatcher)[0].startswith(
        "No problem. Go to https://northpeak.example/account/reset-password, enter your account "
        "email, and we'll send you a reset link that works for 30 minutes."
    )


RULES = (
    "How Northpeak Rewards works: you earn 1 point for every £1 you spend, and every 500 points "
    "take £5.00 off your order. Plus, double points on your birthday month and 200 bonus points "
    "for every friend you refer."
)


def test_known_customer_hears_their_balance_then_the_rules(
    shop_db, tracker, dispatcher, domain, chosen
):
    known = tracker({"customer_id": customer_id("maya.patel@example.com")})
    assert run(ActionLoyaltyPoints(), dispatcher, known, domain) == []

    assert chosen(dispatcher) == ["utter_loyalty_balance", "utter_loyalty_rules"]
    assert said(domain, dispatcher) == [
        "Maya, you have 1240 points, worth £10.00 off your next order.",
        RULES,
    ]


@pytest.mark.parametrize(
    ("order_id", "email", "points", "value"),
    [
        ("100240", "sofia.rossi@example.com", 2300, "£20.00"),
        ("100150", "tom.becker@example.org", 80, "£0.00"),
        ("100233", "liam.oconnor@example.net", 0, "£0.00"),
    ],
)
def test_points_are_worth_whole_redemption_steps(
    shop_db, tracker, dispatcher, domain, order_id, email, points, value
):
    proved = tracker({"order_id": order_id, "email": email})
    run(ActionLoyaltyPoints(), dispatcher, proved, domain)

    balance = dispatcher.messages[0]
    assert (balance["points"], balance["value"]) == (points, value)


def test_unknown_customer_only_hears_the_rules(shop_db, tracker, dispatcher, domain, chosen):
    run(ActionLoyaltyPoints(), dispatcher, tracker(), domain)

    assert chosen(dispatcher) == ["utter_loyalty_rules"]
    assert said(domain, dispatcher) == [RULES]
