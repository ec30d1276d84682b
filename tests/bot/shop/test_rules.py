"""bot/shop/rules.py: what may be done with an order, and why not."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from bot.shop import rules
from bot.shop.views import OrderView

TODAY = date(2026, 11, 24)


def order(status: str, delivered: date | None = None, expected: date | None = None) -> OrderView:
    return OrderView(
        id="100001",
        customer_id=1,
        customer_email="a@example.com",
        status=status,
        placed_at=datetime(2026, 11, 1, 10),
        shipped_at=None,
        delivered_at=datetime.combine(delivered, datetime.min.time()) if delivered else None,
        expected_delivery=expected,
        carrier=None,
        tracking_number=None,
        delivery_address="1 A Street, Town",
        items=(),
        returns=(),
        refunds=(),
    )


@pytest.mark.parametrize(
    ("status", "allowed"),
    [("processing", True), ("shipped", False), ("delivered", False), ("cancelled", False)],
)
def test_only_processing_orders_can_be_cancelled_or_redirected(status, allowed):
    assert rules.can_cancel(order(status)) is allowed
    assert rules.can_change_address(order(status)) is allowed


@pytest.mark.parametrize(
    ("status", "expected", "late"),
    [
        ("shipped", date(2026, 11, 23), True),
        ("shipped", TODAY, False),
        ("shipped", date(2026, 11, 25), False),
        ("shipped", None, False),
        ("processing", date(2026, 11, 1), False),
        ("delivered", date(2026, 11, 1), False),
    ],
)
def test_is_late(status, expected, late):
    assert rules.is_late(order(status, expected=expected), TODAY) is late


def test_cancelled_order_cannot_be_returned():
    assert rules.return_eligibility(order("cancelled"), TODAY, 30) == rules.ReturnEligibility(
        False, "cancelled"
    )


@pytest.mark.parametrize("status", ["processing", "shipped"])
def test_order_not_delivered_cannot_be_returned(status):
    assert rules.return_eligibility(order(status), TODAY, 30) == rules.ReturnEligibility(
        False, "not_delivered"
    )


def test_delivered_order_without_delivery_date_counts_as_not_delivered():
    assert rules.return_eligibility(order("delivered"), TODAY, 30).reason == "not_delivered"


@pytest.mark.parametrize(
    ("delivered", "allowed"),
    [
        (date(2026, 11, 9), True),  # 15 days ago
        (date(2026, 10, 25), True),  # the last day of the window is today
        (date(2026, 10, 24), False),  # closed yesterday
        (date(2026, 9, 25), False),
    ],
)
def test_return_window(delivered, allowed):
    eligibility = rules.return_eligibility(order("delivered", delivered), TODAY, 30)

    assert eligibility.allowed is allowed
    assert eligibility.reason == (None if allowed else "window_closed")
    assert eligibility.deadline == date.fromordinal(delivered.toordinal() + 30)
