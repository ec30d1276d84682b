"""actions/text.py: filling templates, dates and times; and that every response used exists."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal

import pytest

from actions import text
from bot.settings import ROOT
from bot.shop.models import ORDER_STATUSES, REFUND_STATUSES
from bot.shop.views import ItemView, OrderView

ACTIONS = sorted((ROOT / "actions").glob("*.py"))
NOW = datetime(2026, 11, 24, 11, 0)


def test_template_is_the_first_variation(domain):
    assert text.template(domain, "utter_hours_span") == "{opens}-{closes}"


def test_unknown_template_names_the_response():
    with pytest.raises(KeyError, match="utter_nothing"):
        text.template({"responses": {}}, "utter_nothing")
    with pytest.raises(KeyError, match="utter_nothing"):
        text.template({}, "utter_nothing")


def test_render_and_lines(domain):
    assert text.render(domain, "utter_list_line", item="PayPal") == "• PayPal"
    assert text.lines(domain, "utter_list_line", [{"item": "PayPal"}, {"item": "Klarna"}]) == (
        "• PayPal\n• Klarna"
    )
    assert text.lines(domain, "utter_list_line", []) == ""


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2026, 11, 24), "Tuesday 24 November"),
        (datetime(2026, 12, 1, 18, 30), "Tuesday 1 December"),
        (date(2027, 1, 1), "Friday 1 January"),
    ],
)
def test_day(value, expected):
    assert text.day(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (time(9), "9am"),
        (time(0), "12am"),
        (time(12), "12pm"),
        (time(17, 30), "5:30pm"),
        (time(8, 5), "8:05am"),
        (time(23, 59), "11:59pm"),
    ],
)
def test_clock(value, expected):
    assert text.clock(value) == expected


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 11, 24, 18, 0), "today at 6pm"),
        (datetime(2026, 11, 25, 9, 0), "tomorrow at 9am"),
        (datetime(2026, 11, 30, 8, 30), "on Monday 30 November at 8:30am"),
    ],
)
def test_when(domain, moment, expected):
    assert text.when(domain, moment, NOW) == expected


def _order(*items: tuple[str, int]) -> OrderView:
    return OrderView(
        id="100001",
        customer_id=1,
        customer_email="a@example.com",
        status="processing",
        placed_at=NOW,
        shipped_at=None,
        delivered_at=None,
        expected_delivery=None,
        carrier=None,
        tracking_number=None,
        delivery_address="1 A Street, Town",
        items=tuple(ItemView(name, quantity, Decimal("1.00")) for name, quantity in items),
        returns=(),
        refunds=(),
    )


def test_items():
    assert text.items(_order(("Trail Runner Shoes", 1))) == "Trail Runner Shoes"
    assert text.items(_order(("Merino Wool Socks", 2), ("Travel Mug", 1))) == (
        "2 x Merino Wool Socks, Travel Mug"
    )


# --- Every response the actions use is in the domain ---


def _literals(pattern: str) -> set[str]:
    return {
        name for path in ACTIONS for name in re.findall(pattern, path.read_text(encoding="utf-8"))
    }


def test_every_response_literal_in_the_actions_exists_in_the_domain(domain):
    used = _literals(r'response="(utter_\w+)"')
    assert len(used) > 50  # the scan found the actions' responses
    assert sorted(used - domain["responses"].keys()) == []


def test_every_template_name_in_the_actions_exists_in_the_domain(domain):
    # Also the names passed to text.template/render/lines and kept in dicts or conditionals.
    used = _literals(r'(?<![{\w])"(utter_\w+)"')
    assert {"utter_hours_span", "utter_list_line", "utter_subscription_paused"} <= used
    assert sorted(used - domain["responses"].keys()) == []


def test_responses_named_after_a_status_exist(domain):
    for status in ORDER_STATUSES:
        assert f"utter_order_{status}" in domain["responses"]
    for status in REFUND_STATUSES:
        assert f"utter_refund_{status}" in domain["responses"]
    for status in ("paused", "cancelled"):
        assert f"utter_subscription_is_{status}" in domain["responses"]


def test_every_intent_has_a_topic_title_for_the_fallback_buttons(domain):
    missing = [i for i in domain["intents"] if f"utter_topic_{i}" not in domain["responses"]]
    assert missing == []
