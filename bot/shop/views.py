"""Plain, detached records that the repository hands to actions.

Actions never see SQLAlchemy objects or sessions; these frozen dataclasses are
safe to keep after the session that loaded them has closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True)
class CustomerView:
    id: int
    name: str
    email: str
    loyalty_points: int

    @property
    def first_name(self) -> str:
        return self.name.split()[0]


@dataclass(frozen=True)
class ItemView:
    product: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class ReturnView:
    id: int
    order_id: str
    product: str
    reason: str
    status: str
    created_at: datetime


@dataclass(frozen=True)
class RefundView:
    id: int
    order_id: str
    amount: Decimal
    status: str
    requested_at: datetime
    completed_at: datetime | None


@dataclass(frozen=True)
class OrderView:
    id: str
    customer_id: int
    customer_email: str
    status: str
    placed_at: datetime
    shipped_at: datetime | None
    delivered_at: datetime | None
    expected_delivery: date | None
    carrier: str | None
    tracking_number: str | None
    delivery_address: str
    items: tuple[ItemView, ...]
    returns: tuple[ReturnView, ...]
    refunds: tuple[RefundView, ...]

    @property
    def total(self) -> Decimal:
        return sum((item.unit_price * item.quantity for item in self.items), Decimal("0"))

    @property
    def item_names(self) -> list[str]:
        return [item.product for item in self.items]


@dataclass(frozen=True)
class ProductView:
    name: str
    price: Decimal
    stock: int
    restock_date: date | None


@dataclass(frozen=True)
class SubscriptionView:
    id: int
    customer_id: int
    plan: str
    status: str
    next_renewal: date | None
    monthly_price: Decimal
