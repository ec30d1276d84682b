"""bot/privacy/shop_records.py: the shop's records of a customer, for the export."""

from __future__ import annotations

from sqlalchemy import create_engine

from bot.privacy.records import Subject
from bot.privacy.shop_records import ShopRecords
from tests.support.relay_data import MAYA


def test_a_customer_with_their_orders_items_and_subscriptions(relay):
    maya = relay.customer_id(MAYA)
    with relay.shop.connect() as connection:
        section = ShopRecords().export(connection, Subject(customer_ids=frozenset({maya})))
    assert section.counts == {"shop_customers": 1, "orders": 3}
    (customer,) = section.records
    assert (customer["email"], customer["telegram_id"], customer["website_id"]) == (
        MAYA,
        "1001",
        "web-maya",
    )
    order = next(order for order in customer["orders"] if order["id"] == "100231")
    assert [(item["product"], item["unit_price"]) for item in order["items"]] == [
        ("Trail Runner Shoes", "89.00")
    ]
    assert {order["customer_id"] for order in customer["orders"]} == {maya}
    assert "subscriptions" in customer


def test_nobody_has_no_records(relay, tmp_path):
    with relay.shop.connect() as connection:
        assert ShopRecords().export(connection, Subject()).counts == {
            "shop_customers": 0,
            "orders": 0,
        }
    empty = create_engine(f"sqlite:///{tmp_path / 'empty.db'}", future=True)
    with empty.connect() as connection:
        assert ShopRecords().export(connection, Subject(customer_ids=frozenset({1}))).records == []
    empty.dispose()
