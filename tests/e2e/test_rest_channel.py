"""End to end: the real Rasa server and action server, a real SQLite database, over HTTP."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.shop.repository import ShopRepository, make_engine
from tests.conftest import FIXED_NOW
from tests.e2e.servers import TOKEN, Relay, http, start


@pytest.fixture(scope="module")
def relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Relay]:
    data_dir = tmp_path_factory.mktemp("relay")
    running = start(data_dir, {"RELAY_NOW": FIXED_NOW})
    yield running
    running.stop()


@pytest.fixture(scope="module")
def shop_data(relay: Relay) -> ShopRepository:
    """The same database the action server uses."""
    return ShopRepository(make_engine(f"sqlite:///{Path(relay.data_dir) / 'shop.db'}"))


def test_order_status_comes_from_the_database(relay: Relay, shop_data: ShopRepository) -> None:
    first = relay.texts("e2e-status", "where is my order 100231? it's maya.patel@example.com")
    assert "Royal Mail" in first and "RM123456785GB" in first, first

    shop_data.set_order_status("100231", "delivered")
    second = relay.texts("e2e-status", "what's the status of order 100231 now")
    assert "was delivered" in second, relay.log_tail()


def test_known_customer_is_greeted_by_name(relay: Relay) -> None:
    assert "Welcome back, Maya" in relay.texts("web-maya", "hello there")


def test_known_customer_cancels_an_order_and_the_database_changes(
    relay: Relay, shop_data: ShopRepository
) -> None:
    question = relay.say("web-maya", "please cancel my order 100245")
    assert any("Shall I cancel order 100245" in reply.get("text", "") for reply in question)
    assert "is cancelled" in relay.texts("web-maya", "yes")
    order = shop_data.order("100245")
    assert order is not None and order.status == "cancelled"
    assert order.refunds and order.refunds[-1].status == "pending"


def test_stranger_must_prove_the_order_email_before_cancelling(
    relay: Relay, shop_data: ShopRepository
) -> None:
    assert "email" in relay.texts("e2e-stranger", "I want to cancel order 100260")
    assert "doesn't match" in relay.texts("e2e-stranger", "someone.else@example.com")
    assert "Shall I cancel" in relay.texts("e2e-stranger", "tom.becker@example.org")
    assert "stays as it is" in relay.texts("e2e-stranger", "no, keep it")
    order = shop_data.order("100260")
    assert order is not None and order.status == "processing"


def test_shipped_order_cannot_be_cancelled_and_a_return_is_offered(relay: Relay) -> None:
    replies = relay.say("e2e-shipped", "cancel order 100205 please")
    text = "\n".join(reply.get("text", "") for reply in replies)
    assert "already left our warehouse" in text
    buttons = [b["payload"] for reply in replies for b in reply.get("buttons", [])]
    assert "/return_item" in buttons


def test_return_is_booked_in_the_database(relay: Relay, shop_data: ShopRepository) -> None:
    assert "Which item" in relay.texts("web-maya", "I'd like to return something from order 100198")
    assert "reason" in relay.texts("web-maya", "the fleece hoodie")
    booked = relay.texts("web-maya", '/inform{"return_reason": "Wrong size"}')
    assert "return number" in booked
    order = shop_data.order("100198")
    assert order is not None
    assert [(r.product, r.reason) for r in order.returns] == [("Fleece Hoodie", "Wrong size")]


def test_shop_facts_are_answered(relay: Relay) -> None:
    assert "£3.95" in relay.texts("e2e-facts", "how much is delivery?")
    assert "PayPal" in relay.texts("e2e-facts", "can I pay with paypal")
    assert "40 Oldham Street" in relay.texts("e2e-facts", "where is your manchester shop")


def test_http_api_needs_the_token(relay: Relay) -> None:
    url = f"{relay.url}/conversations/web-maya/tracker"
    assert http("GET", url)[0] == 401
    assert http("GET", f"{url}?token=wrong")[0] == 401
    status, tracker = http("GET", f"{url}?token={TOKEN}")
    assert status == 200 and tracker["sender_id"] == "web-maya"


def test_the_demo_shop_page_is_served(relay: Relay) -> None:
    status, page = http("GET", f"{relay.url}/webhooks/widget/demo")
    assert status == 200 and "Northpeak Outfitters" in page


def test_hostile_and_huge_messages_get_an_answer(relay: Relay) -> None:
    assert relay.say("e2e-hostile", "<script>alert(1)</script>") != []
    status, body = http(
        "POST",
        f"{relay.url}/webhooks/rest/webhook",
        {"sender": "e2e-hostile", "message": "where is my order " * 600},
        headers=relay.rest_headers,
    )
    assert status == 413
    assert "too long for me to read" in body["messages"][0]["text"]


def outward_address() -> str | None:
    """This machine's address on its first non-loopback interface, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: nothing is sent over UDP connect
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith("127.") else address


def test_action_server_is_not_reachable_from_outside(relay: Relay) -> None:
    address = outward_address()
    if address is None:
        pytest.skip("this machine has no non-loopback address")
    with socket.socket() as sock:
        sock.settimeout(5)
        assert sock.connect_ex((address, relay.ports.actions)) != 0
    with socket.create_connection(("127.0.0.1", relay.ports.actions), timeout=5):
        pass
