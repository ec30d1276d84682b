"""Queries and updates of the shop's data, returning plain views.

This module knows SQLAlchemy and the schema; it imports nothing from Rasa, so
actions, tools and tests share it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.identity import CustomerLink
from bot.shop.models import (
    Base,
    Customer,
    Order,
    Product,
    Refund,
    Return,
    Subscription,
)
from bot.shop.seed import seed
from bot.shop.views import (
    CustomerView,
    ItemView,
    OrderView,
    ProductView,
    RefundView,
    ReturnView,
    SubscriptionView,
)

logger = logging.getLogger(__name__)


def make_engine(url: str) -> Engine:
    """Creates an engine for `url`, making the SQLite file's folder if needed.

    One engine serves every thread: async handlers run the stores in worker threads, and
    each store call opens its own session, so no session or connection is used by two
    threads at once. SQLite's driver would still refuse a connection made in another
    thread, so that check is off (SQLAlchemy 1.4 gives a file database a NullPool: each
    checkout is a fresh connection, in the thread that uses it).
    """
    options: dict[str, Any] = {}
    if url.startswith("sqlite"):
        options["connect_args"] = {"check_same_thread": False}
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
    return create_engine(url, future=True, pool_pre_ping=True, **options)


def init_db(engine: Engine, today: date, demo: bool = True) -> bool:
    """Creates the schema and, when `demo`, seeds the demo shop's data into an empty database.

    Returns:
        True when the demo data was added, False when it was not (the database had data,
        or `demo` is off: then an empty shop is logged, since the bot knows no orders).
    """
    Base.metadata.create_all(engine)
    with Session(engine) as session, session.begin():
        if session.query(Customer.id).first() is not None:
            return False
        if not demo:
            logger.warning(
                "the shop's database has no customers: load your shop's data into it "
                "(or the demo shop's: make demo-data)"
            )
            return False
        seed(session, today)
    return True


def _customer(row: Customer) -> CustomerView:
    return CustomerView(
        id=row.id, name=row.name, email=row.email, loyalty_points=row.loyalty_points
    )


def _return(row: Return) -> ReturnView:
    return ReturnView(
        id=row.id,
        order_id=row.order_id,
        product=row.product.name,
        reason=row.reason,
        status=row.status,
        created_at=row.created_at,
    )


def _refund(row: Refund) -> RefundView:
    return RefundView(
        id=row.id,
        order_id=row.order_id,
        amount=row.amount,
        status=row.status,
        requested_at=row.requested_at,
        completed_at=row.completed_at,
    )


def _order(row: Order) -> OrderView:
    return OrderView(
        id=row.id,
        customer_id=row.customer_id,
        customer_email=row.customer.email,
        status=row.status,
        placed_at=row.placed_at,
        shipped_at=row.shipped_at,
        delivered_at=row.delivered_at,
        expected_delivery=row.expected_delivery,
        carrier=row.carrier,
        tracking_number=row.tracking_number,
        delivery_address=row.delivery_address,
        items=tuple(
            ItemView(product=item.product.name, quantity=item.quantity, unit_price=item.unit_price)
            for item in row.items
        ),
        returns=tuple(_return(r) for r in row.returns),
        refunds=tuple(_refund(r) for r in row.refunds),
    )


def _product(row: Product) -> ProductView:
    return ProductView(
        name=row.name, price=row.price, stock=row.stock, restock_date=row.restock_date
    )


def _subscription(row: Subscription) -> SubscriptionView:
    return SubscriptionView(
        id=row.id,
        customer_id=row.customer_id,
        plan=row.plan,
        status=row.status,
        next_renewal=row.next_renewal,
        monthly_price=row.monthly_price,
    )


class ShopRepository:
    """Reads and changes the shop's data in short transactions."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False, future=True)

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        with self._sessions() as session, session.begin():
            yield session

    def ping(self) -> None:
        """Raises unless the shop's database answers (for readiness checks)."""
        with self._sessions() as session:
            session.execute(text("SELECT 1"))

    # Customers

    def customer_by_link(self, link: CustomerLink) -> CustomerView | None:
        """The customer a channel proved (their Telegram or website id), if any."""
        column = Customer.telegram_id if link.key == "telegram_id" else Customer.website_id
        with self._transaction() as session:
            row = session.query(Customer).filter(column == link.value).first()
            return _customer(row) if row else None

    def customer_by_email(self, email: str) -> CustomerView | None:
        with self._transaction() as session:
            row = (
                session.query(Customer)
                .filter(func.lower(Customer.email) == email.strip().lower())
                .first()
            )
            return _customer(row) if row else None

    def customer(self, customer_id: int) -> CustomerView | None:
        with self._transaction() as session:
            row = session.get(Customer, customer_id)
            return _customer(row) if row else None

    # Orders

    def order(self, order_id: str) -> OrderView | None:
        with self._transaction() as session:
            row = session.get(Order, order_id)
            return _order(row) if row else None

    def recent_orders(self, customer_id: int, limit: int = 5) -> list[OrderView]:
        """The customer's latest orders, newest first."""
        with self._transaction() as session:
            rows = (
                session.query(Order)
                .filter(Order.customer_id == customer_id)
                .order_by(Order.placed_at.desc())
                .limit(limit)
                .all()
            )
            return [_order(row) for row in rows]

    def cancel_order(self, order_id: str, now: datetime) -> OrderView:
        """Cancels an order and opens a refund of its full amount."""
        with self._transaction() as session:
            row = session.get(Order, order_id)
            if row is None:
                raise KeyError(order_id)
            row.status = "cancelled"
            total = sum(item.unit_price * item.quantity for item in row.items)
            session.add(Refund(order=row, amount=total, status="pending", requested_at=now))
            session.flush()
            return _order(row)

    def change_address(self, order_id: str, address: str) -> OrderView:
        with self._transaction() as session:
            row = session.get(Order, order_id)
            if row is None:
                raise KeyError(order_id)
            row.delivery_address = address
            session.flush()
            return _order(row)

    def set_order_status(self, order_id: str, status: str) -> None:
        """Changes an order's status (used by staff tools and tests)."""
        with self._transaction() as session:
            row = session.get(Order, order_id)
            if row is None:
                raise KeyError(order_id)
            row.status = status

    # Returns and refunds

    def create_return(self, order_id: str, product: str, reason: str, now: datetime) -> ReturnView:
        with self._transaction() as session:
            product_row = session.query(Product).filter(Product.name == product).one()
            row = Return(
                order_id=order_id,
                product=product_row,
                reason=reason,
                status="requested",
                created_at=now,
            )
            session.add(row)
            session.flush()
            return _return(row)

    # Products

    def product(self, name: str) -> ProductView | None:
        """Finds a product by name, ignoring case; falls back to a partial match."""
        wanted = name.strip().lower()
        if not wanted:
            return None
        with self._transaction() as session:
            row = session.query(Product).filter(func.lower(Product.name) == wanted).first()
            if row is None:
                row = (
                    session.query(Product)
                    .filter(func.lower(Product.name).contains(wanted))
                    .order_by(Product.name)
                    .first()
                )
            return _product(row) if row else None

    # Subscriptions

    def subscription(self, customer_id: int) -> SubscriptionView | None:
        with self._transaction() as session:
            row = (
                session.query(Subscription)
                .filter(Subscription.customer_id == customer_id)
                .order_by(Subscription.id.desc())
                .first()
            )
            return _subscription(row) if row else None

    def update_subscription(
        self, subscription_id: int, status: str, next_renewal: date | None
    ) -> SubscriptionView:
        with self._transaction() as session:
            row = session.get(Subscription, subscription_id)
            if row is None:
                raise KeyError(subscription_id)
            row.status = status
            row.next_renewal = next_renewal
            session.flush()
            return _subscription(row)
