"""Demo data for Northpeak Outfitters, relative to the day it is seeded.

Dates are computed from `today` so every flow keeps real cases over time: an
order that can still be cancelled and one that cannot, a return inside the
window and one outside it, a late parcel, refunds in each state.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from bot.shop.models import (
    Customer,
    Order,
    OrderItem,
    Product,
    Refund,
    Return,
    Subscription,
)

PRODUCTS = [
    # sku, name, price, stock, restock in days (None: no date yet)
    ("NP-TRS", "Trail Runner Shoes", "89.00", 14, None),
    ("NP-ARJ", "Alpine Rain Jacket", "129.00", 0, 10),
    ("NP-MWS", "Merino Wool Socks", "14.00", 120, None),
    ("NP-CBP", "Canvas Backpack", "65.00", 3, None),
    ("NP-IWB", "Insulated Water Bottle", "22.00", 0, None),
    ("NP-DSB", "Down Sleeping Bag", "149.00", 7, None),
    ("NP-CST", "Camping Stove", "45.00", 0, 21),
    ("NP-TKP", "Trekking Poles", "39.00", 22, None),
    ("NP-FLH", "Fleece Hoodie", "55.00", 40, None),
    ("NP-HLP", "Headlamp", "29.00", 0, 7),
    ("NP-YGM", "Yoga Mat", "30.00", 18, None),
    ("NP-TMG", "Travel Mug", "12.00", 55, None),
]

CUSTOMERS = [
    # name, email, telegram id, website id, loyalty points
    ("Maya Patel", "maya.patel@example.com", "1001", "web-maya", 1240),
    ("Tom Becker", "tom.becker@example.org", "1002", "web-tom", 80),
    ("Aisha Khan", "aisha.khan@example.com", None, "web-aisha", 560),
    ("Liam O'Connor", "liam.oconnor@example.net", None, None, 0),
    ("Sofia Rossi", "sofia.rossi@example.com", None, "web-sofia", 2300),
    ("Daniel Kim", "daniel.kim@example.com", "1006", None, 35),
]

ADDRESSES = {
    "maya.patel@example.com": "14 Elm Row, Edinburgh EH7 4AA",
    "tom.becker@example.org": "3 Canal Street, Manchester M1 3HE",
    "aisha.khan@example.com": "27 Park Road, Bristol BS6 5RA",
    "liam.oconnor@example.net": "8 Harbour View, Brighton BN2 1TW",
    "sofia.rossi@example.com": "51 Kings Road, London SW3 4ND",
    "daniel.kim@example.com": "2 Mill Lane, Leeds LS6 2QR",
}

ORDERS = [
    # id, email, status, placed (days ago), shipped, delivered, expected (days from today),
    # carrier, tracking, [(sku, quantity)]
    (
        "100231",
        "maya.patel@example.com",
        "shipped",
        3,
        2,
        None,
        1,
        "Royal Mail",
        "RM123456785GB",
        [("NP-TRS", 1)],
    ),
    (
        "100245",
        "maya.patel@example.com",
        "processing",
        1,
        None,
        None,
        4,
        None,
        None,
        [("NP-MWS", 2), ("NP-TMG", 1)],
    ),
    (
        "100198",
        "maya.patel@example.com",
        "delivered",
        20,
        18,
        15,
        -15,
        "DPD",
        "15501234567890",
        [("NP-FLH", 1), ("NP-CBP", 1)],
    ),
    (
        "100150",
        "tom.becker@example.org",
        "delivered",
        64,
        62,
        60,
        -60,
        "Royal Mail",
        "RM987654321GB",
        [("NP-CST", 1)],
    ),
    (
        "100260",
        "tom.becker@example.org",
        "processing",
        0,
        None,
        None,
        5,
        None,
        None,
        [("NP-HLP", 1), ("NP-MWS", 1)],
    ),
    (
        "100212",
        "aisha.khan@example.com",
        "delivered",
        14,
        12,
        10,
        -10,
        "DPD",
        "15509876543210",
        [("NP-DSB", 1)],
    ),
    (
        "100187",
        "aisha.khan@example.com",
        "cancelled",
        25,
        None,
        None,
        None,
        None,
        None,
        [("NP-CST", 1)],
    ),
    (
        "100233",
        "liam.oconnor@example.net",
        "shipped",
        7,
        6,
        None,
        -2,
        "Evri",
        "H01HYA0012345678",
        [("NP-ARJ", 1)],
    ),
    (
        "100240",
        "sofia.rossi@example.com",
        "delivered",
        8,
        7,
        5,
        -5,
        "Royal Mail",
        "RM555666777GB",
        [("NP-YGM", 1), ("NP-TKP", 1)],
    ),
    (
        "100205",
        "daniel.kim@example.com",
        "shipped",
        4,
        2,
        None,
        2,
        "Evri",
        "H01HYA0098765432",
        [("NP-TKP", 2)],
    ),
]


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour, 0))


def seed(session: Session, today: date) -> None:
    """Adds the demo shop's rows to an empty database."""
    products = {}
    for sku, name, price, stock, restock_in in PRODUCTS:
        restock = today + timedelta(days=restock_in) if restock_in is not None else None
        products[sku] = Product(
            sku=sku, name=name, price=Decimal(price), stock=stock, restock_date=restock
        )
    session.add_all(products.values())

    customers = {}
    for name, email, telegram_id, website_id, points in CUSTOMERS:
        customers[email] = Customer(
            name=name,
            email=email,
            telegram_id=telegram_id,
            website_id=website_id,
            loyalty_points=points,
        )
    session.add_all(customers.values())

    orders = {}
    for (
        order_id,
        email,
        status,
        placed,
        shipped,
        delivered,
        expected,
        carrier,
        tracking,
        lines,
    ) in ORDERS:
        order = Order(
            id=order_id,
            customer=customers[email],
            status=status,
            placed_at=_at(today - timedelta(days=placed)),
            shipped_at=_at(today - timedelta(days=shipped)) if shipped is not None else None,
            delivered_at=(
                _at(today - timedelta(days=delivered), 14) if delivered is not None else None
            ),
            expected_delivery=today + timedelta(days=expected) if expected is not None else None,
            carrier=carrier,
            tracking_number=tracking,
            delivery_address=ADDRESSES[email],
        )
        for sku, quantity in lines:
            product = products[sku]
            order.items.append(
                OrderItem(product=product, quantity=quantity, unit_price=product.price)
            )
        orders[order_id] = order
    session.add_all(orders.values())

    sleeping_bag_return = Return(
        order=orders["100212"],
        product=products["NP-DSB"],
        reason="Too warm for what I need",
        status="received",
        created_at=_at(today - timedelta(days=6)),
    )
    session.add_all(
        [
            sleeping_bag_return,
            Return(
                order=orders["100240"],
                product=products["NP-TKP"],
                reason="Changed my mind",
                status="requested",
                created_at=_at(today - timedelta(days=2)),
            ),
            Refund(
                order=orders["100212"],
                amount=Decimal("149.00"),
                status="processing",
                requested_at=_at(today - timedelta(days=4)),
            ),
            Refund(
                order=orders["100187"],
                amount=Decimal("45.00"),
                status="refunded",
                requested_at=_at(today - timedelta(days=25)),
                completed_at=_at(today - timedelta(days=23)),
            ),
            Subscription(
                customer=customers["maya.patel@example.com"],
                plan="Trail Box",
                status="active",
                next_renewal=today + timedelta(days=12),
                monthly_price=Decimal("24.00"),
            ),
            Subscription(
                customer=customers["sofia.rossi@example.com"],
                plan="Trail Box",
                status="paused",
                next_renewal=None,
                monthly_price=Decimal("24.00"),
            ),
            Subscription(
                customer=customers["tom.becker@example.org"],
                plan="Trail Box",
                status="cancelled",
                next_renewal=None,
                monthly_price=Decimal("24.00"),
            ),
        ]
    )
    session.flush()
    sleeping_bag_refund = session.query(Refund).filter_by(order_id="100212").one()
    sleeping_bag_refund.return_id = sleeping_bag_return.id
