"""actions/session.py: session start (recognising customers) and greetings."""

from __future__ import annotations

import asyncio

import pytest
from rasa_sdk.events import ActionExecuted, ConversationPaused, SessionStarted, SlotSet

from actions import shop
from actions.session import ActionGreet, ActionSessionStart
from bot.services import Services
from bot.settings import load_settings
from tests.support.broken import BrokenStore


def run(action, dispatcher, tracker, domain):
    return asyncio.run(action.run(dispatcher, tracker, domain))


def maya_id() -> int:
    return shop.services().repository.customer_by_email("maya.patel@example.com").id


@pytest.mark.parametrize("sender_id", ["site-web-maya", "telegram-1001"])
def test_session_start_recognises_a_known_customer(shop_db, tracker, dispatcher, domain, sender_id):
    events = run(ActionSessionStart(), dispatcher, tracker(sender_id=sender_id), domain)

    assert events == [
        SessionStarted(),
        SlotSet("customer_id", maya_id()),
        SlotSet("customer_name", "Maya"),
        ActionExecuted("action_listen"),
    ]
    assert dispatcher.messages == []


@pytest.mark.parametrize(
    "sender_id",
    [
        "site-web-stranger",
        "rest-1001",  # Maya's Telegram id, typed on the REST channel
        "rest-web-maya",  # her website id, from a REST caller the shop did not vouch for
        "widget-web-maya",
        "1001",  # outside every channel's namespace
        "web-maya",
        "telegram--1001",  # a group chat is nobody's identity
        "telegram-web-maya",
    ],
)
def test_session_start_recognises_nobody_without_the_channels_proof(
    shop_db, tracker, dispatcher, domain, sender_id
):
    events = run(ActionSessionStart(), dispatcher, tracker(sender_id=sender_id), domain)
    assert events == [SessionStarted(), ActionExecuted("action_listen")]


def test_session_start_carries_over_slots_but_not_identity(shop_db, tracker, dispatcher, domain):
    previous = {
        "order_id": "100231",
        "email": "maya.patel@example.com",
        "product": None,
        "requested_slot": "confirm_cancel",
        "customer_id": 99,
        "customer_name": "Someone",
    }

    events = run(ActionSessionStart(), dispatcher, tracker(previous, sender_id="web-x"), domain)

    assert events == [
        SessionStarted(),
        SlotSet("order_id", "100231"),
        SlotSet("email", "maya.patel@example.com"),
        ActionExecuted("action_listen"),
    ]


def test_known_sender_replaces_a_previous_identity(shop_db, tracker, dispatcher, domain):
    previous = {"customer_id": 99, "customer_name": "Someone", "city": "London"}

    events = run(
        ActionSessionStart(), dispatcher, tracker(previous, sender_id="site-web-maya"), domain
    )

    assert events == [
        SessionStarted(),
        SlotSet("city", "London"),
        SlotSet("customer_id", maya_id()),
        SlotSet("customer_name", "Maya"),
        ActionExecuted("action_listen"),
    ]


def test_session_starts_even_when_the_database_fails(tracker, dispatcher, domain):
    shop.use(Services(load_settings(), repository=BrokenStore(), tickets=BrokenStore()))

    events = run(ActionSessionStart(), dispatcher, tracker(sender_id="site-web-maya"), domain)

    assert events == [SessionStarted(), ActionExecuted("action_listen")]


def _open_ticket(sender_id: str, **extra) -> None:
    shop.services().tickets.create(
        conversation_id=sender_id,
        channel="rest",
        reason_code="request_human",
        explanation="Asked for a person",
        priority=2,
        summary="",
        context={},
        transcript=[],
        **extra,
    )


def test_a_new_session_stays_paused_while_a_person_has_the_conversation(
    shop_db, tracker, dispatcher, domain
):
    _open_ticket("web-stranger")
    events = run(ActionSessionStart(), dispatcher, tracker(sender_id="web-stranger"), domain)
    assert events == [SessionStarted(), ActionExecuted("action_listen"), ConversationPaused()]


def test_an_email_follow_up_does_not_pause_a_new_session(shop_db, tracker, dispatcher, domain):
    _open_ticket("web-stranger", follow_up_email="a@example.com")
    events = run(ActionSessionStart(), dispatcher, tracker(sender_id="web-stranger"), domain)
    assert events == [SessionStarted(), ActionExecuted("action_listen")]


@pytest.mark.parametrize(
    ("slots", "response"),
    [
        ({"customer_id": 1, "customer_name": "Maya"}, "utter_greet_known"),
        ({"customer_name": "Sam"}, "utter_greet_named"),
        ({"customer_id": 1}, "utter_greet"),
        ({}, "utter_greet"),
    ],
)
def test_greeting(tracker, dispatcher, domain, chosen, slots, response):
    assert run(ActionGreet(), dispatcher, tracker(slots), domain) == []
    assert chosen(dispatcher) == [response]


def test_known_customer_is_greeted_by_name(tracker, dispatcher, domain):
    run(ActionGreet(), dispatcher, tracker({"customer_id": 1, "customer_name": "Maya"}), domain)

    template = domain["responses"]["utter_greet_known"][0]["text"]
    assert (
        template.format_map(dispatcher.messages[0])
        == "Welcome back, Maya! How can I help you today?"
    )


def test_an_unknown_customer_is_named_from_the_channel_metadata(
    shop_db, tracker, dispatcher, domain
):
    metadata = {"first_name": "  Zoe ", "language_code": "en"}
    start = tracker(sender_id="telegram-555", slots={"session_started_metadata": metadata})
    events = run(ActionSessionStart(), dispatcher, start, domain)
    assert SlotSet("customer_name", "Zoe") in events
    assert all(event.get("name") != "customer_id" for event in events)


def test_a_known_customer_keeps_the_name_on_their_account(shop_db, tracker, dispatcher, domain):
    metadata = {"first_name": "Telegram Nickname"}
    start = tracker(sender_id="telegram-1001", slots={"session_started_metadata": metadata})
    events = run(ActionSessionStart(), dispatcher, start, domain)
    assert SlotSet("customer_name", "Maya") in events
