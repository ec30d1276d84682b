"""bot/shop/repository.py: queries and updates of the shop's data."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from bot.identity import CustomerLink
from bot.shop.repository import ShopRepository, init_db, make_engine

TODAY = date(2026, 11, 24)
NOW = datetime(2026, 11, 24, 11, 0)


@pytest.fixture
def repo(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'shop.db'}")
    init_db(engine, TODAY)
    yield ShopRepository(engine)
    engine.dispose()


def test_make_engine_creates_the_sqlite_folder(tmp_path):
    path = tmp_path / "nested" / "data" / "shop.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        assert path.parent.is_dir()
        assert init_db(engine, TODAY) is True
        assert path.is_file()
    finally:
        engine.dispose()


def test_one_sqlite_engine_serves_many_threads_at_once(tmp_path):
    """Async handlers run the stores in worker threads on the one engine: a connection
    may be used in a thread that did not make it, and threads at once each get their own."""
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import text

    engine = make_engine(f"sqlite:///{tmp_path / 'shop.db'}")
    try:
        connection = engine.connect()  # made here, used in another thread
        with ThreadPoolExecutor(1) as other:
            assert other.submit(lambda: connection.execute(text("SELECT 1")).scalar()).result()
        connection.close()
        init_db(engine, TODAY)
        repository = ShopRepository(engine)
        with ThreadPoolExecutor(8) as workers:
            found = list(workers.map(lambda _: repository.order("100231"), range(32)))
        assert {order.id for order in found} == {"100231"}
    finally:
        engine.dispose()


def test_without_demo_data_an_empty_database_gets_the_schema_only(tmp_path, caplog):
    engine = make_engine(f"sqlite:///{tmp_path / 'shop.db'}")
    try:
        assert init_db(engine, TODAY, demo=False) is False
        assert ShopRepository(engine).order("100231") is None  # the tables exist, empty
        assert "make demo-data" in caplog.text
        assert init_db(engine, TODAY, demo=True) is True  # seeding on purpose still works
    finally:
        engine.dispose()


def test_init_db_seeds_only_an_empty_database(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'shop.db'}")
    try:
        assert init_db(engine, TODAY) is True
        assert init_db(engine, TODAY) is False
        assert ShopRepository(engine).order("100231") is not None
    finally:
        engine.dispose()


# --- Customers ---


@pytest.mark.parametrize(
    ("link", "name"),
    [
        (CustomerLink("website_id", "web-maya"), "Maya Patel"),
        (CustomerLink("telegram_id", "1002"), "Tom Becker"),
    ],
)
def test_customer_by_link_matches_the_proven_column(repo, link, name):
    assert repo.customer_by_link(link).name == name


@pytest.mark.parametrize(
    "link",
    [
        CustomerLink("website_id", "1001"),  # Maya's Telegram id is not a website id
        CustomerLink("telegram_id", "web-maya"),
        CustomerLink("website_id", "web-nobody"),
        CustomerLink("website_id", "maya.patel@example.com"),
    ],
)
def test_a_link_only_matches_its_own_column(repo, link):
    assert repo.customer_by_link(link) is None


def test_customer_by_email_ignores_case_and_spaces(repo):
    customer = repo.customer_by_email("  MAYA.Patel@Example.com ")
    assert (customer.name, customer.email, customer.loyalty_points) == (
        "Maya Patel",
        "maya.patel@example.com",
        1240,
    )
    assert customer.first_name == "Maya"
    assert repo.customer_by_email("nobody@example.com") is None


def test_customer_by_id(repo):
    maya = repo.customer_by_email("maya.patel@example.com")
    assert repo.customer(maya.id) == maya
    assert repo.customer(9999) is None


# --- Orders ---


def test_order_view(repo):
    order = repo.order("100245")
    assert order.status == "processing"
    assert order.customer_email == "maya.patel@example.com"
    assert [(i.product, i.quantity, i.unit_price) for i in order.items] == [
        ("Merino Wool Socks", 2, Decimal("14.00")),
        ("Travel Mug", 1, Decimal("12.00")),
    ]
    assert order.total == Decimal("40.00")
    assert order.item_names == ["Merino Wool Socks", "Travel Mug"]
    assert order.delivery_address == "14 Elm Row, Edinburgh EH7 4AA"


def test_order_with_returns_and_refunds(repo):
    order = repo.order("100212")
    assert [(r.product, r.status) for r in order.returns] == [("Down Sleeping Bag", "received")]
    assert [(r.amount, r.status) for r in order.refunds] == [(Decimal("149.00"), "processing")]


def test_unknown_order(repo):
    assert repo.order("999999") is None


def test_recent_orders_newest_first(repo):
    maya = repo.customer_by_email("maya.patel@example.com")
    assert [o.id for o in repo.recent_orders(maya.id)] == ["100245", "100231", "100198"]
    assert [o.id for o in repo.recent_orders(maya.id, limit=2)] == ["100245", "100231"]
    assert repo.recent_orders(9999) == []


def test_cancel_order_opens_a_pending_refund_of_the_full_amount(repo):
    cancelled = repo.cancel_order("100245", NOW)

    assert cancelled.status == "cancelled"
    assert [(r.amount, r.status, r.requested_at, r.completed_at) for r in cancelled.refunds] == [
        (Decimal("40.00"), "pending", NOW, None)
    ]
    assert repo.order("100245") == cancelled


def test_change_address(repo):
    changed = repo.change_address("100245", "12 High Street, Leeds LS1 4AB")
    assert changed.delivery_address == "12 High Street, Leeds LS1 4AB"
    assert repo.order("100245").delivery_address == "12 High Street, Leeds LS1 4AB"


def test_set_order_status(repo):
    repo.set_order_status("100245", "shipped")
    assert repo.order("100245").status == "shipped"


@pytest.mark.parametrize(
    "change",
    [
        lambda repo: repo.cancel_order("999999", NOW),
        lambda repo: repo.change_address("999999", "1 A Street, Town"),
        lambda repo: repo.set_order_status("999999", "shipped"),
        lambda repo: repo.update_subscription(9999, "paused", None),
    ],
)
def test_changing_something_unknown_raises_key_error(repo, change):
    with pytest.raises(KeyError):
        change(repo)


# --- Returns ---


def test_create_return(repo):
    booked = repo.create_return("100198", "Fleece Hoodie", "Too small", NOW)

    assert (booked.order_id, booked.product, booked.reason, booked.status, booked.created_at) == (
        "100198",
        "Fleece Hoodie",
        "Too small",
        "requested",
        NOW,
    )
    assert repo.order("100198").returns == (booked,)


# --- Products ---


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Headlamp", "Headlamp"),
        ("  HEADLAMP ", "Headlamp"),
        ("rain", "Alpine Rain Jacket"),
        ("bag", "Down Sleeping Bag"),  # the first partial match by name
    ],
)
def test_product_by_exact_or_partial_name(repo, name, expected):
    assert repo.product(name).name == expected


@pytest.mark.parametrize("name", ["", "   ", "surfboard"])
def test_unknown_product(repo, name):
    assert repo.product(name) is None


def test_product_view(repo):
    jacket = repo.product("Alpine Rain Jacket")
    assert (jacket.price, jacket.stock, jacket.restock_date) == (
        Decimal("129.00"),
        0,
        date(2026, 12, 4),
    )


# --- Subscriptions ---


def test_subscription(repo):
    maya = repo.customer_by_email("maya.patel@example.com")
    subscription = repo.subscription(maya.id)
    assert (subscription.plan, subscription.status, subscription.next_renewal) == (
        "Trail Box",
        "active",
        date(2026, 12, 6),
    )
    aisha = repo.customer_by_email("aisha.khan@example.com")
    assert repo.subscription(aisha.id) is None


def test_update_subscription(repo):
    sofia = repo.customer_by_email("sofia.rossi@example.com")
    subscription = repo.subscription(sofia.id)

    updated = repo.update_subscription(subscription.id, "active", date(2026, 12, 24))

    assert (updated.status, updated.next_renewal) == ("active", date(2026, 12, 24))
    assert repo.subscription(sofia.id) == updated
