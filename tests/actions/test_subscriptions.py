"""actions/subscriptions.py: pausing, resuming, cancelling and checking a Trail Box."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from rasa_sdk.events import SlotSet

from actions import shop
from actions.subscriptions import ActionManageSubscription, ValidateSubscriptionForm

RESET = [SlotSet("subscription_action", None)]
MAYA, SOFIA, TOM, AISHA = (
    "maya.patel@example.com",  # active, renews in 12 days
    "sofia.rossi@example.com",  # paused
    "tom.becker@example.org",  # cancelled
    "aisha.khan@example.com",  # no subscription
)


def run(action, dispatcher, tracker, domain):
    return asyncio.run(action.run(dispatcher, tracker, domain))


def said(domain, dispatcher) -> list[str]:
    """What the customer reads: each chosen template filled with the action's values."""
    return [
        domain["responses"][message["response"]][0]["text"].format_map(message)
        for message in dispatcher.messages
    ]


def manage(tracker, dispatcher, domain, email, action=None):
    """Runs the action for the customer with `email`, recognised by their channel id."""
    customer = shop.services().repository.customer_by_email(email)
    slots = {"customer_id": customer.id, "subscription_action": action}
    return run(ActionManageSubscription(), dispatcher, tracker(slots), domain)


def subscription_of(email: str):
    return shop.services().repository.subscription(
        shop.services().repository.customer_by_email(email).id
    )


def test_subscription_form_skips_the_email_for_a_known_customer(
    shop_db, tracker, dispatcher, domain
):
    form = ValidateSubscriptionForm()
    known = tracker({"customer_id": 1})
    slots = ["email", "subscription_action"]
    assert form.name() == "validate_subscription_form"
    assert asyncio.run(form.required_slots(slots, dispatcher, known, domain)) == [
        "subscription_action"
    ]
    visitor = asyncio.run(form.required_slots(slots, dispatcher, tracker(), domain))
    assert visitor == ["order_id", *slots]  # a visitor proves the account with an order


@pytest.mark.parametrize("action", [None, "renew"])
def test_active_subscription_renewal(shop_db, tracker, dispatcher, domain, chosen, action):
    assert manage(tracker, dispatcher, domain, MAYA, action) == RESET

    assert chosen(dispatcher) == ["utter_subscription_renewal"]
    assert said(domain, dispatcher) == [
        "Your Trail Box is active and renews on Sunday 6 December at £24.00 a month."
    ]


@pytest.mark.parametrize(
    ("email", "response"),
    [(SOFIA, "utter_subscription_is_paused"), (TOM, "utter_subscription_is_cancelled")],
)
def test_inactive_subscription_does_not_renew(
    shop_db, tracker, dispatcher, domain, chosen, email, response
):
    manage(tracker, dispatcher, domain, email, "renew")
    assert chosen(dispatcher) == [response]
    assert dispatcher.messages[0]["plan"] == "Trail Box"


def test_active_subscription_without_renewal_date_gets_an_existing_response(
    shop_db, tracker, dispatcher, domain
):
    subscription = subscription_of(MAYA)
    shop.services().repository.update_subscription(subscription.id, "active", None)

    manage(tracker, dispatcher, domain, MAYA)

    assert dispatcher.messages[0]["response"] in domain["responses"]


def test_pause_an_active_subscription(shop_db, tracker, dispatcher, domain, chosen):
    assert manage(tracker, dispatcher, domain, MAYA, "pause") == RESET

    assert chosen(dispatcher) == ["utter_subscription_paused"]
    assert said(domain, dispatcher)[0].startswith(
        "Your Trail Box is paused, and you won't be charged while it is. It stays paused for up "
        "to 3 months"
    )
    stored = subscription_of(MAYA)
    assert (stored.status, stored.next_renewal) == ("paused", None)


@pytest.mark.parametrize("email", [SOFIA, TOM])
def test_resume_a_paused_or_cancelled_subscription(
    shop_db, tracker, dispatcher, domain, chosen, email
):
    manage(tracker, dispatcher, domain, email, "resume")

    assert chosen(dispatcher) == ["utter_subscription_resumed"]
    assert said(domain, dispatcher) == [
        "Welcome back! Your Trail Box is active again, and your next box ships on "
        "Thursday 24 December."
    ]
    stored = subscription_of(email)
    assert (stored.status, stored.next_renewal) == ("active", date(2026, 12, 24))


@pytest.mark.parametrize("email", [MAYA, SOFIA])
def test_cancel_an_active_or_paused_subscription(
    shop_db, tracker, dispatcher, domain, chosen, email
):
    manage(tracker, dispatcher, domain, email, "cancel")

    assert chosen(dispatcher) == ["utter_subscription_cancelled"]
    stored = subscription_of(email)
    assert (stored.status, stored.next_renewal) == ("cancelled", None)


@pytest.mark.parametrize(
    ("email", "action", "status"),
    [(SOFIA, "pause", "paused"), (MAYA, "resume", "active"), (TOM, "cancel", "cancelled")],
)
def test_request_that_changes_nothing(
    shop_db, tracker, dispatcher, domain, chosen, email, action, status
):
    before = subscription_of(email)

    assert manage(tracker, dispatcher, domain, email, action) == RESET

    assert chosen(dispatcher) == ["utter_subscription_unchanged"]
    assert said(domain, dispatcher) == [
        f"Your Trail Box is already {status}, so there's nothing to change."
    ]
    assert subscription_of(email) == before


def test_a_visitor_who_proved_an_order_can_manage_their_subscription(
    shop_db, tracker, dispatcher, domain, chosen
):
    slots = {"order_id": "100240", "email": SOFIA, "subscription_action": "resume"}
    run(ActionManageSubscription(), dispatcher, tracker(slots), domain)

    assert chosen(dispatcher) == ["utter_subscription_resumed"]
    assert subscription_of(SOFIA).status == "active"


def test_an_email_alone_changes_nobodys_subscription(shop_db, tracker, dispatcher, domain, chosen):
    before = subscription_of(SOFIA)
    run(
        ActionManageSubscription(),
        dispatcher,
        tracker({"email": SOFIA, "subscription_action": "cancel"}),
        domain,
    )
    assert chosen(dispatcher) == ["utter_subscription_none"]
    assert subscription_of(SOFIA) == before


def test_customer_without_a_subscription_is_told_how_to_start_one(
    shop_db, tracker, dispatcher, domain, chosen
):
    assert manage(tracker, dispatcher, domain, AISHA, "pause") == RESET

    assert chosen(dispatcher) == ["utter_subscription_none"]
    assert said(domain, dispatcher) == [
        "I can't find a subscription on your account. You can start a Trail Box for £24.00 a "
        "month on https://northpeak.example."
    ]


def test_unidentified_customer_has_no_subscription(shop_db, tracker, dispatcher, domain, chosen):
    events = run(
        ActionManageSubscription(), dispatcher, tracker({"subscription_action": "cancel"}), domain
    )

    assert events == RESET
    assert chosen(dispatcher) == ["utter_subscription_none"]
