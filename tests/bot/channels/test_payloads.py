"""bot/channels/payloads.py: only the bot's own buttons may send an intent payload."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rasa.shared.core.events import BotUttered, UserUttered

from bot.channels.payloads import CHANNEL_COMMANDS, customer_text, offered

BUTTONS = [
    {"title": "Yes", "payload": "/affirm"},
    {"title": "Order 100231", "payload": '/inform{"order_id": "100231"}'},
    {"title": "Website", "url": "https://northpeak.example"},
]


def test_offered_payloads_come_from_the_bots_buttons() -> None:
    events = [
        UserUttered("/affirm"),  # a customer's message offers nothing
        BotUttered("Shall I?", data={"buttons": BUTTONS}),
        {"event": "bot", "data": {"buttons": [{"payload": "/deny "}, "junk", {"payload": 3}]}},
        {"event": "bot", "data": None},
    ]
    assert offered(events) == {"/affirm", '/inform{"order_id": "100231"}', "/deny"}


@pytest.mark.parametrize(
    ("text", "passed"),
    [
        ("/affirm", "/affirm"),
        ('/inform{"order_id": "100231"}', '/inform{"order_id": "100231"}'),
        ("  /affirm ", "  /affirm "),  # Rasa trims it itself
        ("/restart", "restart"),
        ("/session_start", "session_start"),
        ('/inform{"customer_id": 1}', 'inform{"customer_id": 1}'),
        ("//affirm", "affirm"),
        ("///", "?"),
        ("/greet", "/greet"),
        ("/ask_capabilities", "/ask_capabilities"),
        ("where is my order?", "where is my order?"),
        ("1/2 of my order is missing", "1/2 of my order is missing"),
    ],
)
def test_customer_text(text: str, passed: str) -> None:
    allowed = offered([BotUttered("Shall I?", data={"buttons": BUTTONS})])
    assert customer_text(text, allowed) == passed


@given(st.text())
def test_nothing_unoffered_is_ever_read_as_a_payload(text: str) -> None:
    allowed = frozenset({"/affirm"})
    passed = customer_text(text, allowed)
    if passed.strip().startswith("/"):
        assert passed.strip() in allowed | CHANNEL_COMMANDS
