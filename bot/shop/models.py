"""SQLAlchemy schema of the shop's data (customers, orders, returns, refunds, ...).

The same models run on SQLite (the embedded default) and PostgreSQL: only the
connection URL changes.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import declarative_base, relationship
from sqlalchemy.types import TypeDecorator

# SQLAlchemy 1.4 has no type information: the declarative base is Any to mypy, and declared so
# (a plain variable would not be accepted as a base class).
Base: Any = declarative_base()


class Money(TypeDecorator):
    """An amount of money stored exactly, as an integer number of pence."""

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> int | None:
        return None if value is None else int((Decimal(value) * 100).to_integral_value())

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        return None if value is None else (Decimal(value) / 100).quantize(Decimal("0.01"))


ORDER_STATUSES = ("processing", "shipped", "delivered", "cancelled")
RETURN_STATUSES = ("requested", "received", "refunded", "rejected")
REFUND_STATUSES = ("pending", "processing", "refunded")
SUBSCRIPTION_STATUSES = ("active", "paused", "cancelled")


class Customer(Base):
    __tablename__ = "customers"

    id = Column(Integer, primary_key=True)
    name = Column(String(120), nullable=False)
    email = Column(String(254), nullable=False, unique=True)
    telegram_id = Column(String(64), unique=True)
    website_id = Column(String(64), unique=True)
    loyalty_points = Column(Integer, nullable=False, default=0)

    orders = relationship("Order", back_populates="customer", order_by="Order.placed_at")
    subscriptions = relationship("Subscription", back_populates="customer")


class Product(Base):
    __tablename__ = "products"

    id = Column(Integer, primary_key=True)
    sku = Column(String(32), nullable=False, unique=True)
    name = Column(String(120), nullable=False, unique=True)
    price = Column(Money(), nullable=False)
    stock = Column(Integer, nullable=False, default=0)
    restock_date = Column(Date)


class Order(Base):
    __tablename__ = "orders"

    id = Column(String(16), primary_key=True)
    customer_id = Column(Integer, ForeignKey("customers.id"), nullable=False)
    status = Column(String(16), nullable=False)
    placed_at = Column(DateTime, nullable=False)
    shipped_at = Column(DateTime)
    delivered_at = Column(DateTime)
    expected_delivery = Column(Date)
    carrier = Column(String(64))
    tracking_number = Column(String(64))
    delivery_address = Column(Text, nullable=False)

    customer = relationship("Customer", back_populates="orders")
    items = relationship("OrderItem", back_populates="order", order_by="OrderItem.id")
    returns = relationship("Return", back_populates="order", order_by="Return.id")
    refunds = relationship("Refund", back_populates="order", order_by="Refund.id")


class OrderItem(Base):
    __tablename__ = "order_items"

    id = Column(Integer, primary_key=True)
    order_id = Column(String(16), ForeignKey("orders.id"), nullable=False)
    product_id = Column(Integer, ForeignKey("products.id"), nullable=False)
    quantity = Column(Integer, nullable=False, default=1)
    unit_price = Column(Money(), nullable=False)

    order = relationship("Order", back_populates="items")
    product = relationship("Product")


class Return(Base):
    __tablename__ = "returns"

    id = Column(Integer, primary_key=True)
    order_id = Column(String(16), ForeignKey("orders.id"), nullable=False)
    product_id = Column(Integer, ForeignKey("products.id"), nullable=False)
    reason = Column(Text, nullable=False)
    status = Column(String(16), nullable=False)
    created_at = Column(DateTime, nullable=False)

    order = relationship("Order", back_populates="returns")
    product = relationship("Product")


class Refund(Base):
    __tablename__ = "refunds"

    id = Column(Integer, primary_key=True)
    order_id = Column(String(16), ForeignKey("orders.id"), nullable=False)
    return_id = Column(Integer, ForeignKey("returns.id"))
    amount = Column(Money(), nullable=False)
    status = Column(String(16), nullable=False)
    requested_at = Column(DateTime, nullable=False)
    completed_at = Column(DateTime)

    order = relationship("Order", back_populates="refunds")


class Subscription(Base):
    __tablename__ = "subscriptions"

    id = Column(Integer, primary_key=True)
    customer_id = Column(Integer, ForeignKey("customers.id"), nullable=False)
    plan = Column(String(64), nullable=False)
    status = Column(String(16), nullable=False)
    next_renewal = Column(Date)
    monthly_price = Column(Money(), nullable=False)

    customer = relationship("Customer", back_populates="subscriptions")


class LookupAttempt(Base):
    """A visitor's look-up of an order (or a wrong email for one), counted against guessing.

    `key` names who tried: `conversation:<id>` or `client:<address or user>`; `subject`
    what they tried (an order number, a digest of an email), so a repeat isn't counted.
    """

    __tablename__ = "shop_lookup_attempts"

    id = Column(Integer, primary_key=True)
    key = Column(String(300), nullable=False, index=True)
    subject = Column(String(80), nullable=False, default="")
    created_at = Column(DateTime, nullable=False, index=True)
