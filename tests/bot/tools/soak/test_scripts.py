"""bot/tools/soak/scripts.py: scripts a real customer would send, within Relay's limits."""

from __future__ import annotations

import re

from bot.channels.flood import PER_CONVERSATION
from bot.channels.inbound import MAX_TEXT
from bot.tools.soak.scripts import REST_SCRIPTS, WIDGET_SCRIPTS, Step, script

ORDER_NUMBER = re.compile(r"\b\d{6}\b")


def test_a_script_ends_with_its_farewell_after_the_request_for_a_person() -> None:
    built = script("x", "hi", person="a person please", then="bye")
    assert built.steps == (Step("hi"), Step("a person please", person=True), Step("bye"))
    assert built.asks_for_a_person


def test_both_channels_have_customers_who_ask_for_a_person_and_who_dont() -> None:
    for scripts in (REST_SCRIPTS, WIDGET_SCRIPTS):
        assert any(s.asks_for_a_person for s in scripts)
        assert any(not s.asks_for_a_person for s in scripts)


def test_the_rest_scripts_cover_the_brief() -> None:
    texts = " ".join(step.text for s in REST_SCRIPTS for step in s.steps).lower()
    for topic in ("order", "@", "delivery", "opening hours", "return", "thank"):
        assert topic in texts, topic


def test_texts_are_plain_messages_within_the_channels_limits() -> None:
    for s in (*REST_SCRIPTS, *WIDGET_SCRIPTS):
        # Survey answers, "are you still there?" and retries add a few messages at most.
        assert len(s.steps) + 6 < PER_CONVERSATION.count, s.name
        for step in s.steps:
            assert 0 < len(step.text) <= MAX_TEXT and not step.text.startswith("/")


def test_widget_visitors_look_up_no_orders() -> None:
    # Every widget session on loopback is one client: visitors' look-ups are limited per client.
    for s in WIDGET_SCRIPTS:
        assert not any(ORDER_NUMBER.search(step.text) for step in s.steps), s.name
