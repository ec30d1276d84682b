"""A broken shop database gets a polite answer, not silence."""

from __future__ import annotations

import asyncio

import pytest

from actions import shop
from actions.orders import ActionCheckOrderStatus, ValidateCancelOrderForm
from tests.support.broken import BrokenStore


@pytest.fixture
def broken_shop(shop_db) -> None:
    shop.use(shop.services().replaced(repository=BrokenStore()))


def test_action_answers_with_contact_details_when_the_database_fails(
    broken_shop, tracker, dispatcher, domain, chosen
) -> None:
    events = asyncio.run(
        ActionCheckOrderStatus().run(dispatcher, tracker({"order_id": "100231"}), domain)
    )
    assert events == []
    assert chosen(dispatcher) == ["utter_shop_unavailable"]
    assert dispatcher.messages[0]["phone"] == "+44 20 7946 0000"


def test_form_validation_answers_too(broken_shop, tracker, dispatcher, domain, chosen) -> None:
    form_tracker = tracker(
        {"order_id": "100245", "requested_slot": "order_id"},
        active_loop="cancel_order_form",
        events=[{"event": "slot", "name": "order_id", "value": "100245"}],
    )
    assert asyncio.run(ValidateCancelOrderForm().run(dispatcher, form_tracker, domain)) == []
    assert chosen(dispatcher) == ["utter_shop_unavailable"]
