"""actions/verification.py: order numbers, emails, and who may act on an order."""

from __future__ import annotations

import pytest

from actions import shop
from actions.verification import (
    check_email_for_account,
    check_email_for_order,
    check_order_id,
    current_order,
    is_verified_for,
    known_customer_id,
    normalise_email,
    normalise_order_id,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("100231", "100231"),
        ("#100231", "100231"),
        ("# 100231", "100231"),
        (" 100231 ", "100231"),
        (["#100231", "100245"], "100231"),
        ("10023", None),
        ("1002310", None),
        ("order 100231", None),
        ("", None),
        ([], None),
        (None, None),
        (100231, None),
    ],
)
def test_normalise_order_id(value, expected):
    assert normalise_order_id(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("maya.patel@example.com", "maya.patel@example.com"),
        ("  Maya.Patel@EXAMPLE.com ", "maya.patel@example.com"),
        (["tom.becker@example.org"], "tom.becker@example.org"),
        ("maya.patel@example", None),
        ("maya.patel.example.com", None),
        ("maya patel@example.com", None),
        ("a@b@example.com", None),
        ("", None),
        (None, None),
        ([], None),
    ],
)
def test_normalise_email(value, expected):
    assert normalise_email(value) == expected


@pytest.mark.parametrize(("value", "expected"), [(None, None), (3, 3), ("3", 3)])
def test_known_customer_id(tracker, value, expected):
    assert known_customer_id(tracker({"customer_id": value})) == expected


def test_current_order_reads_the_order_id_slot(shop_db, tracker):
    assert current_order(tracker({"order_id": "#100231"})).id == "100231"
    assert current_order(tracker({"order_id": "999999"})) is None
    assert current_order(tracker()) is None


@pytest.mark.parametrize(
    ("slots", "verified"),
    [
        ({"customer_id": 1}, True),  # Maya, recognised by her channel id
        ({"email": "MAYA.PATEL@example.com"}, True),
        ({"customer_id": 2}, False),
        ({"email": "tom.becker@example.org"}, False),
        ({"email": "not an email"}, False),
        ({}, False),
    ],
)
def test_is_verified_for_maya_s_order(shop_db, tracker, slots, verified):
    order = shop.repository().order("100231")
    assert order.customer_email == "maya.patel@example.com"
    assert is_verified_for(order, tracker(slots)) is verified


def test_check_order_id_accepts_a_known_order(shop_db, tracker, dispatcher):
    assert check_order_id("#100231", dispatcher, tracker()) == {"order_id": "100231"}
    assert dispatcher.messages == []


@pytest.mark.parametrize(
    ("value", "slots", "response"),
    [
        ("abc", {}, "utter_invalid_order_id"),
        ("999999", {}, "utter_order_not_found"),
        ("100231", {"customer_id": 2}, "utter_order_not_on_account"),
    ],
)
def test_check_order_id_rejects(shop_db, tracker, dispatcher, chosen, value, slots, response):
    assert check_order_id(value, dispatcher, tracker(slots)) == {"order_id": None}
    assert chosen(dispatcher) == [response]


def test_check_email_for_order(shop_db, tracker, dispatcher, chosen):
    on_order = tracker({"order_id": "100231"})
    assert check_email_for_order("Maya.Patel@example.com", dispatcher, on_order) == {
        "email": "maya.patel@example.com"
    }
    assert check_email_for_order("tom.becker@example.org", dispatcher, on_order) == {"email": None}
    assert check_email_for_order("nope", dispatcher, on_order) == {"email": None}
    assert chosen(dispatcher) == ["utter_email_mismatch", "utter_invalid_email"]


def test_check_email_for_order_without_an_order_accepts_any_valid_email(
    shop_db, tracker, dispatcher
):
    result = check_email_for_order("someone@example.com", dispatcher, tracker())
    assert result == {"email": "someone@example.com"}


def test_check_email_for_account(shop_db, tracker, dispatcher, chosen):
    assert check_email_for_account("SOFIA.ROSSI@example.com", dispatcher, tracker()) == {
        "email": "sofia.rossi@example.com"
    }
    assert check_email_for_account("nobody@example.com", dispatcher, tracker()) == {"email": None}
    assert check_email_for_account("nobody", dispatcher, tracker()) == {"email": None}
    assert chosen(dispatcher) == ["utter_email_unknown", "utter_invalid_email"]
