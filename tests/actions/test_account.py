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
    return shop.repository().customer_by_email(email).id


def test_customer_is_identified_by_channel_id_first(shop_db, tracker):
    maya = customer_id("maya.patel@example.com")
    found = identified_customer(tracker({"customer_id": maya, "email": "sofia.rossi@example.com"}))
    assert found.name == "Maya Patel"


def test_customer_is_identified_by_account_email(shop_db, tracker):
    assert identified_customer(tracker({"email": " Sofia.Rossi@example.com"})).name == "Sofia Rossi"


@pytest.mark.parametrize("email", [None, "nobody@example.com", "not-an-email"])
def test_no_customer_without_a_known_id_or_email(shop_db, tracker, email):
    assert identified_customer(tracker({"email": email})) is None


def test_account_forms_must_be_named():
    with pytest.raises(TypeError):
        AccountFormValidation()
    assert ValidateLoyaltyForm().name() == "validate_loyalty_form"


def test_known_customer_is_not_asked_for_an_email(shop_db, tracker, dispatcher, domain):
    form = ValidateLoyaltyForm()
    known = tracker({"customer_id": customer_id("maya.patel@example.com")})
    assert asyncio.run(form.required_slots(["email"], dispatcher, known, domain)) == []
    assert asyncio.run(form.required_slots(["email"], dispatcher, tracker(), domain)) == ["email"]


def test_account_email_must_belong_to_a_customer(shop_db, tracker, dispatcher, domain, chosen):
    form = ValidateLoyaltyForm()
    assert form.validate_email("AISHA.KHAN@example.com", dispatcher, tracker(), domain) == {
        "email": "aisha.khan@example.com"
    }
    assert form.validate_email("ghost@example.com", dispatcher, tracker(), domain) == {
        "email": None
    }
    assert form.validate_email("ghost", dispatcher, tracker(), domain) == {"email": None}
    assert chosen(dispatcher) == ["utter_email_unknown", "utter_invalid_email"]


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
    ("email", "points", "value"),
    [
        ("sofia.rossi@example.com", 2300, "£20.00"),
        ("tom.becker@example.org", 80, "£0.00"),
        ("liam.oconnor@example.net", 0, "£0.00"),
    ],
)
def test_points_are_worth_whole_redemption_steps(
    shop_db, tracker, dispatcher, domain, email, points, value
):
    run(ActionLoyaltyPoints(), dispatcher, tracker({"email": email}), domain)

    balance = dispatcher.messages[0]
    assert (balance["points"], balance["value"]) == (points, value)


def test_unknown_customer_only_hears_the_rules(shop_db, tracker, dispatcher, domain, chosen):
    run(ActionLoyaltyPoints(), dispatcher, tracker(), domain)

    assert chosen(dispatcher) == ["utter_loyalty_rules"]
    assert said(domain, dispatcher) == [RULES]
