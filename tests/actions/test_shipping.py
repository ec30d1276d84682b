"""actions/shipping.py: delivery options and ways to pay."""

from __future__ import annotations

import asyncio

from actions.shipping import ActionPaymentMethods, ActionShippingInfo


def run(action, dispatcher, tracker, domain):
    return asyncio.run(action.run(dispatcher, tracker, domain))


def test_shipping_options_from_the_facts(shop_db, tracker, dispatcher, domain, chosen):
    assert run(ActionShippingInfo(), dispatcher, tracker(), domain) == []

    assert chosen(dispatcher) == ["utter_shipping_info"]
    message = dispatcher.messages[0]
    assert message["options"].splitlines() == [
        "• United Kingdom, Standard: £3.95, free over £50.00 (3-5 working days)",
        "• United Kingdom, Next day (order before 2pm): £6.95 (1 working day)",
        "• Europe, Standard: £12.00, free over £150.00 (5-8 working days)",
        "• Rest of the world, Tracked: £24.00 (7-14 working days)",
    ]
    assert message["click_and_collect"].startswith("Free click & collect")
    text = domain["responses"]["utter_shipping_info"][0]["text"].format_map(message)
    assert text.startswith("Here are our delivery options:\n• United Kingdom, Standard")
    assert text.endswith("usually ready in 2 working days.")


def test_payment_methods_are_listed(shop_db, tracker, dispatcher, domain, chosen):
    assert run(ActionPaymentMethods(), dispatcher, tracker(), domain) == []

    assert chosen(dispatcher) == ["utter_payment_methods"]
    assert dispatcher.messages[0]["methods"].splitlines() == [
        "• Visa, Mastercard and American Express",
        "• PayPal",
        "• Apple Pay and Google Pay",
        "• Klarna (pay in 3 interest-free instalments)",
        "• Northpeak gift cards",
        "• Cash and card in our stores",
    ]
