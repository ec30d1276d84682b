"""End to end: nobody can pose as another customer, on any channel, with the real servers.

Relay runs as it ships (tests/e2e/conftest.py): REST callers are anonymous, Telegram
is on (its Bot API a local stand-in), the widget issues its own sessions. Each test
is an attack that worked before identity was bound to the channel that proved it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import Any

import pytest

from bot.channels.widget_session import customer_signature
from tests.e2e.conftest import IDENTITY_SECRET, TELEGRAM_SECRET
from tests.e2e.console import ConsoleClient
from tests.e2e.servers import Relay, http
from tests.e2e.telegram_api import TelegramApi, message_update

REST = "/webhooks/rest"
WIDGET = "/webhooks/widget"


@pytest.fixture(scope="module")
def relay(telegram_relay: Relay) -> Relay:
    return telegram_relay


def visitor() -> str:
    """A sender id as a chat front-end makes one: random and long."""
    return secrets.token_urlsafe(18)


def rest(relay: Relay, sender: str, message: str) -> tuple[int, Any]:
    return http("POST", f"{relay.url}{REST}/webhook", {"sender": sender, "message": message})


def said(relay: Relay, sender: str, message: str) -> str:
    status, replies = rest(relay, sender, message)
    assert status == 200, (status, replies, relay.log_tail())
    return "\n".join(reply.get("text", "") for reply in replies)


def outbox(relay: Relay, sender: str) -> tuple[int, Any]:
    return http("GET", f"{relay.url}{REST}/messages?sender={sender}")


def telegram(relay: Relay, user: dict[str, Any], text: str) -> None:
    status, _ = http(
        "POST",
        f"{relay.url}/webhooks/relay_telegram/webhook",
        message_update(text, user=user),
        headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET},
    )
    assert status == 200


def telegram_user(user_id: int, name: str) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": name, "language_code": "en"}


def wait_until(check: Any, seconds: float = 60) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError("timed out")


def widget_session(relay: Relay, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    return http("POST", f"{relay.url}{WIDGET}/session", body or {})


def widget_say(relay: Relay, token: str, text: str) -> str:
    status, reply = http("POST", f"{relay.url}{WIDGET}/message", {"token": token, "text": text})
    assert status == 200, (status, reply)
    return "\n".join(message.get("text", "") for message in reply["messages"])


# Identity comes from the channel that proved it


@pytest.mark.parametrize("sender", ["1001", "web-maya", "telegram-1001", "site-web-maya"])
def test_a_rest_caller_cannot_name_a_customers_conversation(relay: Relay, sender: str) -> None:
    status, body = rest(relay, sender, "how many loyalty points do I have?")
    assert status == 400 and "random id" in body["error"]
    assert outbox(relay, sender)[0] == 400


def test_a_rest_caller_is_a_visitor_whatever_its_sender_looks_like(relay: Relay) -> None:
    sender = "1001" + secrets.token_hex(8)  # starts like Maya's Telegram id
    answer = said(relay, sender, "how many loyalty points do I have?")
    assert "Maya" not in answer and "1240" not in answer
    assert "order" in answer  # a visitor proves the account with an order first


def signed_in(website_id: str, expires: int, secret: str = IDENTITY_SECRET) -> dict[str, Any]:
    """What the widget posts for a customer the shop's backend signed in."""
    signature = customer_signature(secret.encode(), website_id, expires)
    return {"customer": website_id, "customerExpires": expires, "customerSignature": signature}


def test_a_signed_in_shop_customer_is_known_on_the_widget(relay: Relay) -> None:
    status, session = widget_session(relay, signed_in("web-maya", int(time.time()) + 3600))
    assert status == 200, session
    assert "Welcome back, Maya" in widget_say(relay, session["token"], "hello")


@pytest.mark.parametrize("signature", ["0" * 64, "", None])
def test_a_forged_customer_signature_gets_no_session(relay: Relay, signature: Any) -> None:
    body = {**signed_in("web-maya", int(time.time()) + 3600), "customerSignature": signature}
    status, answer = widget_session(relay, body)
    assert status == 403 and "token" not in answer


@pytest.mark.parametrize(
    "forged",
    [
        lambda now: signed_in("web-maya", now + 3600, secret="another shop's secret"),
        lambda now: signed_in("web-maya", now - 60),  # seen on a page yesterday
        lambda now: signed_in("web-maya", now + 30 * 24 * 3600),  # good for a month
        lambda now: {**signed_in("web-maya", now - 60), "customerExpires": now + 3600},
        lambda now: {  # the id alone, as shops signed before signatures expired
            "customer": "web-maya",
            "customerSignature": hmac.new(
                IDENTITY_SECRET.encode(), b"web-maya", hashlib.sha256
            ).hexdigest(),
        },
    ],
    ids=["another secret", "expired", "too far ahead", "expiry moved", "id only"],
)
def test_a_customer_signature_that_leaked_or_never_expires_gets_no_session(
    relay: Relay, forged: Any
) -> None:
    status, answer = widget_session(relay, forged(int(time.time())))
    assert status == 403 and "token" not in answer and "signature" in answer["error"]


def test_an_anonymous_widget_session_is_nobody(relay: Relay) -> None:
    status, session = widget_session(relay)
    assert status == 200
    assert "Maya" not in widget_say(relay, session["token"], "hello")


# Agents' replies stay on the channel that opened the ticket


def test_an_agents_reply_to_a_telegram_customer_never_reaches_rest(
    relay: Relay, api: TelegramApi
) -> None:
    user = telegram_user(5550101, "Noor")
    telegram(relay, user, "I want to talk to a person please")
    alice = ConsoleClient(relay).login("alice")
    ticket = wait_until(
        lambda: next((t for t in alice.queue() if t["conversation_id"] == "telegram-5550101"), None)
    )
    # The attack: a REST message naming the chat, hoping to take the conversation over.
    for sender in ("telegram-5550101" + "x" * 8, "5550101" + "0" * 12):
        said(relay, sender, "hello, it's me on the website now")
    alice.act(ticket["id"], "claim")
    alice.act(ticket["id"], "reply", {"text": "Hi Noor, Alice here."})
    wait_until(
        lambda: any(
            c.text == "Hi Noor, Alice here." for c in api.requests("sendMessage", "5550101")
        )
    )
    for sender in ("telegram-5550101" + "x" * 8, "5550101" + "0" * 12):
        status, body = outbox(relay, sender)
        assert status == 200 and "Hi Noor" not in str(body)
    alice.act(ticket["id"], "resolve")


def test_a_widget_conversation_cannot_be_read_on_rest(relay: Relay) -> None:
    _, session = widget_session(relay)
    token = session["token"]
    widget_say(relay, token, "I want to speak to a person")
    conversation = "widget-" + token.partition(".")[0]
    alice = ConsoleClient(relay).login("alice")
    ticket = alice.ticket_for(conversation)
    alice.act(ticket["id"], "claim")
    alice.act(ticket["id"], "reply", {"text": "Hello from Alice"})
    status, updates = http("GET", f"{relay.url}{WIDGET}/updates?token={token}&after=0")
    assert status == 200 and "Hello from Alice" in str(updates)
    status, body = outbox(relay, conversation)
    assert status == 200 and body == {"messages": []}
    alice.act(ticket["id"], "resolve")


def test_a_typed_restart_does_not_take_the_conversation_from_the_agent(relay: Relay) -> None:
    sender = visitor()
    said(relay, sender, "I'd like to talk to a human")
    alice = ConsoleClient(relay).login("alice")
    ticket = alice.ticket_for(f"rest-{sender}")
    alice.act(ticket["id"], "claim")
    for forged in ("/restart", "/session_start", "/nevermind", "/greet"):
        assert said(relay, sender, forged) == ""  # the bot stays quiet: a person has it
    assert alice.ticket_for(f"rest-{sender}")["status"] == "assigned"
    alice.act(ticket["id"], "resolve")


# What a visitor may learn about an order


def test_a_visitor_hears_an_orders_status_and_the_details_only_with_its_email(
    relay: Relay,
) -> None:
    sender = visitor()
    first = said(relay, sender, "where is my order 100231?")
    assert "100231 is on its way" in first
    assert "Royal Mail" not in first and "RM123456785GB" not in first and "Trail" not in first
    wrong = said(relay, sender, "it's tom.becker@example.org")
    assert "doesn't match" in wrong and "RM123456785GB" not in wrong
    right = said(relay, sender, "maya.patel@example.com")
    assert "Royal Mail" in right and "RM123456785GB" in right, right


def test_the_address_cancel_and_return_flows_tell_a_visitor_no_more_than_the_status(
    relay: Relay,
) -> None:
    sender = visitor()
    said(relay, sender, "I want to change the delivery address of my order")
    shipped = said(relay, sender, "100231")
    assert "already shipped" in shipped, shipped
    assert "Royal Mail" not in shipped and "RM123456785GB" not in shipped
    sender = visitor()
    said(relay, sender, "I want to cancel my order")
    delivered = said(relay, sender, "100198")
    assert "has been delivered" in delivered, delivered
    assert "November" not in delivered and "December" not in delivered
    sender = visitor()
    said(relay, sender, "I want to return an item")
    said(relay, sender, "100198")  # the bot asks for the order's email
    item = said(relay, sender, "the sleeping bag")
    assert "Fleece Hoodie" not in item and "Canvas Backpack" not in item, item


def test_a_visitor_trying_order_numbers_is_stopped(relay: Relay) -> None:
    sender = visitor()
    said(relay, sender, "I'd like to check an order")
    answers = [said(relay, sender, str(number)) for number in range(100300, 100305)]
    assert all("couldn't find order" in answer for answer in answers), answers
    # The sixth number, even a real one, tells nothing.
    stopped = said(relay, sender, "100231")
    assert "can't look up any more orders" in stopped and "on its way" not in stopped
