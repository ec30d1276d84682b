"""bot/shop/seed.py: the demo data, dated relative to the day it is seeded."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from bot.shop.models import (
    ORDER_STATUSES,
    Customer,
    Order,
    Product,
    Refund,
    Return,
    Subscription,
)
from bot.shop.repository import init_db, make_engine
from bot.shop.seed import CUSTOMERS, ORDERS, PRODUCTS

TODAY = date(2031, 3, 10)  # any day: every date in the seed follows it


def days_ago(days: int, hour: int = 10) -> datetime:
    return datetime.combine(TODAY - timedelta(days=days), datetime.min.time()).replace(hour=hour)


@pytest.fixture
def session(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'shop.db'}")
    init_db(engine, TODAY)
    with Session(engine) as session:
        yield session
    engine.dispose()


def test_row_counts(session):
    assert session.query(Product).count() == len(PRODUCTS) == 12
    assert session.query(Customer).count() == len(CUSTOMERS) == 6
    assert session.query(Order).count() == len(ORDERS) == 10
    assert session.query(Return).count() == 2
    assert session.query(Refund).count() == 2
    assert session.query(Subscription).count() == 3


def test_seed_tables_are_consistent():
    skus = {sku for sku, *_ in PRODUCTS}
    emails = {email for _, email, *_ in CUSTOMERS}
    for order_id, email, status, *_, lines in ORDERS:
        assert len(order_id) == 6 and order_id.isdigit()
        assert email in emails
        assert status in ORDER_STATUSES
        assert {sku for sku, _ in lines} <= skus


def test_order_dates_follow_the_seeding_day(session):
    shipped = session.get(Order, "100231")
    assert shipped.placed_at == days_ago(3)
    assert shipped.shipped_at == days_ago(2)
    assert shipped.delivered_at is None
    assert shipped.expected_delivery == TODAY + timedelta(days=1)

    delivered = session.get(Order, "100198")
    assert delivered.delivered_at == days_ago(15, hour=14)

    late = session.get(Order, "100233")
    assert late.status == "shipped" and late.expected_delivery < TODAY

    cancelled = session.get(Order, "100187")
    assert cancelled.expected_delivery is None and cancelled.shipped_at is None


def test_order_items_use_the_product_price(session):
    order = session.get(Order, "100245")
    assert [(i.product.name, i.quantity, i.unit_price) for i in order.items] == [
        ("Merino Wool Socks", 2, Decimal("14.00")),
        ("Travel Mug", 1, Decimal("12.00")),
    ]
    assert order.customer.email == "maya.patel@example.com"
    assert order.delivery_address == "14 Elm Row, Edinburgh EH7 4AA"


def test_restock_dates(session):
    def product(name):
        return session.query(Product).filter_by(name=name).one()

    assert product("Alpine Rain Jacket").restock_date == TODAY + timedelta(days=10)
    assert product("Insulated Water Bottle").restock_date is None
    assert product("Trail Runner Shoes").restock_date is None
    out_of_stock = session.query(Product).filter_by(stock=0).count()
    assert out_of_stock == 4


def test_returns_and_refunds(session):
    sleeping_bag_return = session.query(Return).filter_by(order_id="100212").one()
    sleeping_bag_refund = session.query(Refund).filter_by(order_id="100212").one()
    assert sleeping_bag_return.status == "received"
    assert sleeping_bag_refund.return_id == sleeping_bag_return.id
    assert (sleeping_bag_refund.status, sleeping_bag_refund.amount) == (
        "processing",
        Decimal("149.00"),
    )

    paid = session.query(Refund).filter_by(order_id="100187").one()
    assert (paid.status, paid.completed_at, paid.return_id) == ("refunded", days_ago(23), None)

    waiting = session.query(Return).filter_by(order_id="100240").one()
    assert (waiting.product.name, waiting.status) == ("Trekking Poles", "requested")


def test_subscriptions(session):
    by_owner = {s.customer.email: s for s in session.query(Subscription)}
    assert by_owner["maya.patel@example.com"].status == "active"
    assert by_owner["maya.patel@example.com"].next_renewal == TODAY + timedelta(days=12)
    assert by_owner["sofia.rossi@example.com"].status == "paused"
    assert by_owner["tom.becker@example.org"].status == "cancelled"
    assert {s.next_renewal for s in by_owner.values() if s.status != "active"} == {None}


def test_channel_ids(session):
    maya = session.query(Customer).filter_by(email="maya.patel@example.com").one()
    assert (maya.website_id, maya.telegram_id) == ("web-maya", "1001")
    liam = session.query(Customer).filter_by(email="liam.oconnor@example.net").one()
    assert (liam.website_id, liam.telegram_id) == (None, None)
