"""The shop's own records of a customer: exported for them, never deleted (they are the
shop's business records, not chat data)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Connection
from sqlalchemy.sql import select

from bot.privacy.records import SHOP, Records, Section, Subject, chunks, has_table, record
from bot.shop.models import Customer, Order, OrderItem, Product, Refund, Return, Subscription


class ShopRecords:
    """The shop's customers and their orders, returns, refunds and subscriptions."""

    name = "shop"
    database = SHOP

    def _rows(
        self, connection: Connection, table: Table, column: str, values: Iterable[Any]
    ) -> Records:
        rows: Records = []
        for chunk in chunks(values):
            query = select(table).where(table.c[column].in_(chunk)).order_by(*table.primary_key)
            rows += [record(row) for row in connection.execute(query)]
        return rows

    def export(self, connection: Connection, subject: Subject) -> Section:
        customers_table = Customer.__table__
        if not has_table(connection, customers_table):
            return Section([], {"shop_customers": 0, "orders": 0})
        customers = self._rows(connection, customers_table, "id", subject.customer_ids)
        orders = self._rows(connection, Order.__table__, "customer_id", subject.customer_ids)
        order_ids = [order["id"] for order in orders]
        items_table, products = OrderItem.__table__, Product.__table__
        items: Records = []
        for chunk in chunks(order_ids):
            query = (
                select(items_table, products.c.name.label("product"))
                .join(products, products.c.id == items_table.c.product_id)
                .where(items_table.c.order_id.in_(chunk))
                .order_by(items_table.c.id)
            )
            items += [record(row) for row in connection.execute(query)]
        returns = self._rows(connection, Return.__table__, "order_id", order_ids)
        refunds = self._rows(connection, Refund.__table__, "order_id", order_ids)
        subscriptions = self._rows(
            connection, Subscription.__table__, "customer_id", subject.customer_ids
        )
        for order in orders:
            for key, rows in (("items", items), ("returns", returns), ("refunds", refunds)):
                order[key] = [row for row in rows if row["order_id"] == order["id"]]
        for customer in customers:
            customer["orders"] = [row for row in orders if row["customer_id"] == customer["id"]]
            customer["subscriptions"] = [
                row for row in subscriptions if row["customer_id"] == customer["id"]
            ]
        return Section(customers, {"shop_customers": len(customers), "orders": len(orders)})
