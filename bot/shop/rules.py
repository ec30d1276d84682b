"""The shop's rules about what may be done with an order, and why not."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from bot.shop.views import OrderView

CHANGEABLE_STATUSES = ("processing",)


def can_cancel(order: OrderView) -> bool:
    """Orders can be cancelled until they leave the warehouse."""
    return order.status in CHANGEABLE_STATUSES


def can_change_address(order: OrderView) -> bool:
    """The delivery address can change only before the parcel ships."""
    return order.status in CHANGEABLE_STATUSES


def is_late(order: OrderView, today: date) -> bool:
    """A shipped parcel whose expected delivery day has passed."""
    return (
        order.status == "shipped"
        and order.expected_delivery is not None
        and order.expected_delivery < today
    )


@dataclass(frozen=True)
class ReturnEligibility:
    """Whether an order can be returned; `reason` names the rule that says no."""

    allowed: bool
    reason: str | None = None
    deadline: date | None = None


def return_eligibility(order: OrderView, today: date, window_days: int) -> ReturnEligibility:
    """Delivered orders can be returned within `window_days` of delivery."""
    if order.status == "cancelled":
        return ReturnEligibility(False, "cancelled")
    if order.status != "delivered" or order.delivered_at is None:
        return ReturnEligibility(False, "not_delivered")
    deadline = order.delivered_at.date() + timedelta(days=window_days)
    if today > deadline:
        return ReturnEligibility(False, "window_closed", deadline)
    return ReturnEligibility(True, None, deadline)
