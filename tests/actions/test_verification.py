"""actions/verification.py: order numbers, emails, and who may act on an order."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actions import shop
from actions.verification import (
    check_email_for_order,
    check_order_id,
    client_of,
    current_order,
    is_verified_for,
    known_customer_id,
    normalise_email,
    normalise_order_id,
    verified_customer_id,
)
from bot.channels.inbound import CLIENT_KEY
from bot.shop.lookup_limits import Limits


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("100231", "100231"),
        ("#100231", "100231"),
        ("# 100231", "100231"),
        (" 100231 ", "100231"),
        (["#100231", "100245"], "100231"),
        ("١٠٠٢٣١", "100231"),  # Arabic-Indic digits
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
    order = shop.services().repository.order("100231")
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


def test_a_visitor_is_the_customer_of_an_order_they_proved(shop_db, tracker):
    maya = shop.services().repository.order("100231").customer_id
    assert verified_customer_id(tracker({"customer_id": 7})) == 7
    proved = tracker({"order_id": "100231", "email": "maya.patel@example.com"})
    assert verified_customer_id(proved) == maya
    assert verified_customer_id(tracker({"order_id": "100231", "email": "x@example.com"})) is None
    # An email alone (easy to come by) proves nothing.
    assert verified_customer_id(tracker({"email": "maya.patel@example.com"})) is None


def with_client(tracker, client, **slots):
    built = tracker(slots)
    built.latest_message["metadata"] = {CLIENT_KEY: client}
    return built


def test_the_client_comes_from_the_channels_metadata(tracker):
    assert client_of(with_client(tracker, "ip:10.0.0.7")) == "ip:10.0.0.7"
    assert client_of(tracker()) is None


@pytest.fixture
def tight_limits(shop_db, monkeypatch):
    limits = shop.services().lookup_limits
    monkeypatch.setattr(limits, "limits", Limits(per_conversation=3, per_client=5))
    return limits


def test_a_visitor_trying_order_numbers_is_stopped(tight_limits, tracker, dispatcher, chosen):
    visitor = with_client(tracker, "ip:10.0.0.7")
    for guess in ("100230", "100231", "100232"):
        check_order_id(guess, dispatcher, visitor)
    stopped = check_order_id("100233", dispatcher, visitor)
    assert stopped == {"order_id": None, "requested_slot": None}  # the form ends
    assert chosen(dispatcher)[-1] == "utter_too_many_lookups"


def test_new_conversations_from_the_same_client_are_stopped_too(
    tight_limits, tracker, dispatcher, chosen
):
    for number in range(5):
        visitor = with_client(tracker, "ip:10.0.0.7")
        visitor.sender_id = f"rest-visitor-{number}"
        check_order_id(f"10030{number}", dispatcher, visitor)
    other = with_client(tracker, "ip:10.0.0.7")
    other.sender_id = "rest-visitor-new"
    assert check_order_id("100231", dispatcher, other)["order_id"] is None
    elsewhere = with_client(tracker, "ip:10.0.0.8")
    elsewhere.sender_id = "rest-visitor-elsewhere"
    assert check_order_id("100231", dispatcher, elsewhere) == {"order_id": "100231"}


def test_wrong_emails_count_and_known_customers_do_not(tight_limits, tracker, dispatcher, chosen):
    visitor = with_client(tracker, "ip:10.0.0.9", order_id="100231")
    for guess in ("a@example.com", "b@example.com", "c@example.com"):
        assert check_email_for_order(guess, dispatcher, visitor) == {"email": None}
    # Used up: even the right email is refused, so a refusal never tells right from wrong.
    assert check_email_for_order("maya.patel@example.com", dispatcher, visitor) == {
        "email": None,
        "requested_slot": None,
    }
    assert chosen(dispatcher) == ["utter_email_mismatch"] * 3 + ["utter_too_many_lookups"]
    maya = with_client(tracker, "ip:10.0.0.9", customer_id=1)
    for _ in range(6):
        assert check_order_id("100231", dispatcher, maya) == {"order_id": "100231"}


def test_the_same_order_or_email_again_is_not_another_guess(tight_limits, tracker, dispatcher):
    visitor = with_client(tracker, "ip:10.0.0.7", order_id="100231")
    for _ in range(6):
        assert check_order_id("100231", dispatcher, visitor) == {"order_id": "100231"}
        assert check_email_for_order("a@example.com", dispatcher, visitor) == {"email": None}
    assert not tight_limits.exhausted(visitor.sender_id, "ip:10.0.0.7")


@given(st.one_of(st.text(), st.integers(), st.none(), st.lists(st.text(max_size=10), max_size=3)))
def test_order_ids_are_six_digits_or_nothing_whatever_is_typed(value):
    """SQL-like, path-like or binary-looking input never becomes an order number."""
    found = normalise_order_id(value)
    assert found is None or (len(found) == 6 and found.isascii() and found.isdigit())


@given(st.one_of(st.text(), st.integers(), st.none()))
def test_emails_are_one_address_or_nothing(value):
    found = normalise_email(value)
    assert found is None or (found.count("@") == 1 and found == found.strip().lower())
