"""actions/products.py: stock and restock dates."""

from __future__ import annotations

import asyncio

import pytest
from rasa_sdk.events import SlotSet

from actions.products import ActionProductAvailability, ValidateProductForm

RESET = [SlotSet("product", None)]


def run(action, dispatcher, tracker, domain):
    return asyncio.run(action.run(dispatcher, tracker, domain))


def said(domain, dispatcher) -> list[str]:
    """What the customer reads: each chosen template filled with the action's values."""
    return [
        domain["responses"][message["response"]][0]["text"].format_map(message)
        for message in dispatcher.messages
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Trail Runner Shoes", "Trail Runner Shoes"),
        ("  trail runner SHOES ", "Trail Runner Shoes"),
        ("jacket", "Alpine Rain Jacket"),
        (["headlamp"], "Headlamp"),
    ],
)
def test_product_name_is_matched(shop_db, tracker, dispatcher, domain, value, expected):
    form = ValidateProductForm()
    assert form.name() == "validate_product_form"
    assert form.validate_product(value, dispatcher, tracker(), domain) == {"product": expected}
    assert dispatcher.messages == []


@pytest.mark.parametrize("value", ["surfboard", "", None, []])
def test_unknown_product_is_rejected(shop_db, tracker, dispatcher, domain, chosen, value):
    result = ValidateProductForm().validate_product(value, dispatcher, tracker(), domain)
    assert result == {"product": None}
    assert chosen(dispatcher) == ["utter_product_unknown"]


@pytest.mark.parametrize(
    ("product", "response", "text"),
    [
        (
            "Trail Runner Shoes",
            "utter_product_in_stock",
            "Yes, the Trail Runner Shoes is in stock at £89.00, ready to ship.",
        ),
        (
            "canvas backpack",
            "utter_product_low_stock",
            "The Canvas Backpack is in stock at £65.00, but only 3 left, so don't wait too long.",
        ),
        (
            "Alpine Rain Jacket",
            "utter_product_restock",
            "Sorry, the Alpine Rain Jacket is sold out right now. We expect new stock on "
            "Friday 4 December.",
        ),
        (
            "Insulated Water Bottle",
            "utter_product_no_restock",
            "Sorry, the Insulated Water Bottle is sold out and we don't have a restock date yet. "
            "It's worth checking back next week, or our team can tell you about similar products.",
        ),
    ],
)
def test_availability_by_stock(
    shop_db, tracker, dispatcher, domain, chosen, product, response, text
):
    events = run(ActionProductAvailability(), dispatcher, tracker({"product": product}), domain)

    assert events == RESET
    assert chosen(dispatcher) == [response]
    assert said(domain, dispatcher) == [text]


@pytest.mark.parametrize("product", [None, "surfboard"])
def test_availability_of_an_unknown_product_only_resets(
    shop_db, tracker, dispatcher, domain, product
):
    assert (
        run(ActionProductAvailability(), dispatcher, tracker({"product": product}), domain) == RESET
    )
    assert dispatcher.messages == []
