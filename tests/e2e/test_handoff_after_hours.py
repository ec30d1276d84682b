"""End to end: asking for a person when the team is offline (Tuesday 21:00).

Nobody is left waiting in a silent chat: the bot takes an email (or uses the one on
a known customer's account), opens a ticket with a promised follow-up time from
the shop's support hours, and keeps helping in the meantime.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from bot.settings import ROOT
from tests.e2e.console import ConsoleClient, create_agents
from tests.e2e.servers import Relay, site, start

RESPONSES = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]
TUESDAY_NIGHT = "2026-11-24T21:00:00"


def said(name: str, **values: Any) -> str:
    return RESPONSES[name][0]["text"].format(**values)


@pytest.fixture(scope="module")
def relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Relay]:
    data_dir = tmp_path_factory.mktemp("relay-night")
    create_agents(data_dir)
    running = start(data_dir, {"RELAY_NOW": TUESDAY_NIGHT})
    yield running
    running.stop()


def texts(replies: list[dict[str, Any]]) -> list[str]:
    return [reply.get("text", "") for reply in replies]


def test_an_unknown_customer_leaves_an_email_and_gets_a_promised_time(relay: Relay) -> None:
    sender = "night-guest"
    asked = texts(relay.say(sender, "I need to speak to a person"))
    assert asked == [said("utter_ask_handoff_contact_form_email")], asked
    promised = texts(relay.say(sender, "it's jo.bloggs@example.com"))
    # Support opens at 8am on Wednesday; the promise is two hours later (shop/handoff.yml).
    expected = said(
        "utter_handoff_after_hours", email="jo.bloggs@example.com", when="tomorrow at 10am"
    )
    assert promised == [expected], promised

    ticket = ConsoleClient(relay).login("alice").ticket_for(site(sender))
    assert ticket["status"] == "waiting"
    assert ticket["follow_up"]["email"] == "jo.bloggs@example.com"
    assert ticket["follow_up"]["by"].startswith("2026-11-25T10:00")
    # The bot is not paused: the customer can keep asking it things.
    assert relay.say(sender, "what payment methods do you accept?") != []


def test_a_known_customer_is_not_asked_for_their_email(relay: Relay) -> None:
    sender = "web-maya"
    relay.say(sender, "hello")
    promised = texts(relay.say(sender, "can I talk to a human please"))
    expected = said(
        "utter_handoff_after_hours", email="maya.patel@example.com", when="tomorrow at 10am"
    )
    assert expected in promised, promised
    ticket = ConsoleClient(relay).login("alice").ticket_for(site(sender))
    assert ticket["customer"]["name"] == "Maya"
    assert ticket["customer"]["email"] == "maya.patel@example.com"


def test_an_invalid_email_is_asked_again(relay: Relay) -> None:
    sender = "night-typo"
    relay.say(sender, "get me a human being")
    again = texts(relay.say(sender, "jo at example dot com"))
    assert said("utter_invalid_email") in again, again
