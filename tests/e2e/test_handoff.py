"""End to end: handing conversations to a person and back, with real servers and SQLite.

A customer on the REST channel, the Rasa server, the action server, the ticket
database and the agent console's JSON API, all on loopback. Support is open
(Tuesday 11:00); outside hours is tests/e2e/test_handoff_after_hours.py.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
import yaml

from bot.handoff.webhook import verify
from bot.settings import ROOT
from tests.conftest import FIXED_NOW
from tests.e2e.console import ConsoleClient, create_agents, pushed
from tests.e2e.servers import Relay, http, restart, site, start

RESPONSES = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]
WEBHOOK_SECRET = "e2e-webhook-secret"


def said(name: str, **values: Any) -> str:
    return RESPONSES[name][0]["text"].format(**values)


class Receiver(BaseHTTPRequestHandler):
    """An external helpdesk: records each webhook call and whether its signature checks out."""

    calls: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        valid = verify(
            WEBHOOK_SECRET,
            self.headers["X-Relay-Timestamp"],
            body,
            self.headers["X-Relay-Signature"],
        )
        Receiver.calls.append({"valid": valid, **json.loads(body)})
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def receiver() -> Iterator[HTTPServer]:
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


@pytest.fixture(scope="module")
def relay(tmp_path_factory: pytest.TempPathFactory, receiver: HTTPServer) -> Iterator[Relay]:
    data_dir = tmp_path_factory.mktemp("relay")
    create_agents(data_dir)
    running = start(
        data_dir,
        {
            "RELAY_NOW": FIXED_NOW,
            "RELAY_WEBHOOK_URL": f"http://127.0.0.1:{receiver.server_port}/hook",
            "RELAY_WEBHOOK_SECRET": WEBHOOK_SECRET,
        },
    )
    yield running
    running.stop()


@pytest.fixture
def alice(relay: Relay) -> ConsoleClient:
    return ConsoleClient(relay).login("alice")


@pytest.fixture
def bob(relay: Relay) -> ConsoleClient:
    return ConsoleClient(relay).login("bob")


def texts(replies: list[dict[str, Any]]) -> list[str]:
    return [reply.get("text", "") for reply in replies]


def wait_for_webhooks(events: set[str], seconds: float = 15) -> list[dict[str, Any]]:
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if events <= {call["event"] for call in Receiver.calls}:
            break
        time.sleep(0.2)
    return Receiver.calls


# --- Security ---------------------------------------------------------------------------------


def test_nothing_in_the_console_works_without_signing_in(relay: Relay) -> None:
    api = f"{relay.url}/console/api/v1"
    assert http("GET", f"{api}/tickets")[0] == 401
    assert http("GET", f"{api}/tickets/1")[0] == 401
    assert http("POST", f"{api}/tickets/1/reply", {"text": "hi"})[0] == 401
    forged = {"Authorization": "Bearer YWxpY2U.99999999999.0000"}
    assert http("GET", f"{api}/tickets", headers=forged)[0] == 401
    status, body = http("POST", f"{api}/login", {"username": "alice", "password": "wrong"})
    assert (status, body) == (401, {"error": "Wrong username or password"})


def test_a_cookie_session_cannot_be_used_from_another_site(relay: Relay) -> None:
    api = f"{relay.url}/console/api/v1"
    token = ConsoleClient(relay).login("alice").token
    cookie = {"Cookie": f"relay_console={token}"}
    assert http("GET", f"{api}/tickets", headers=cookie)[0] == 200
    # A write with only the cookie, as a forged cross-site form would send it, is refused.
    assert http("POST", f"{api}/tickets/1/note", {"text": "x"}, headers=cookie)[0] == 403


def test_the_console_page_is_served_with_a_strict_content_policy(relay: Relay) -> None:
    import urllib.request

    with urllib.request.urlopen(f"{relay.url}/console/") as page:
        policy = page.headers["Content-Security-Policy"]
        assert page.status == 200
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    status, spec = http("GET", f"{relay.url}/console/api/v1/openapi.json")
    assert status == 200 and spec["openapi"].startswith("3.")


# --- A customer asks for a person ---------------------------------------------------------------


def test_asking_for_a_person_is_followed_through_to_a_rating(
    relay: Relay, alice: ConsoleClient, bob: ConsoleClient
) -> None:
    sender = "ho-human"
    relay.say(sender, "hi there")
    assert any("100240" in text for text in texts(relay.say(sender, "where is my order 100240?")))
    handed = texts(relay.say(sender, "I'd like to talk to a real person please"))
    assert any("passed your conversation to our team" in text for text in handed), handed
    assert any("number 1 in the queue" in text or "number" in text for text in handed)

    # The ticket has everything: reason, details, what the bot answered, the transcript.
    ticket = alice.ticket_for(site(sender))
    assert (ticket["status"], ticket["reason_code"], ticket["priority"]) == (
        "waiting",
        "request_human",
        2,
    )
    assert ticket["channel"] == "rest"
    assert ticket["context"]["details"]["order_id"] == "100240"
    assert "order_status" in ticket["context"]["intents"]
    assert any("100240" in line for line in ticket["context"]["tried"])
    customer_turns = [turn for turn in ticket["transcript"] if turn["speaker"] == "customer"]
    assert [turn["text"] for turn in customer_turns][:2] == [
        "hi there",
        "where is my order 100240?",
    ]
    assert customer_turns[1]["intent"] == "order_status"
    assert 0 < customer_turns[1]["confidence"] <= 1
    assert customer_turns[1]["sentiment"]["label"] in ("negative", "neutral", "positive")

    # While a person is on it the bot stays silent; the agent sees what the customer adds.
    assert relay.say(sender, "it was supposed to arrive yesterday") == []
    ticket = alice.ticket_for(site(sender))
    assert ticket["transcript"][-1]["text"] == "it was supposed to arrive yesterday"
    assert ticket["unread"] >= 1

    # Claiming tells the customer a person has joined; only the owner can reply.
    alice.act(ticket["id"], "claim")
    assert said("utter_agent_joined", agent="Alice Moreau") in texts(pushed(relay, sender))
    status, refused = bob.call("POST", f"/tickets/{ticket['id']}/reply", {"text": "hello"})
    assert (status, refused["error"]) == (403, "Claim the ticket first")
    alice.act(ticket["id"], "reply", {"text": "Hi, I'm Alice. Checking order 100240 for you now."})
    alice.act(ticket["id"], "note", {"text": "Courier delay, not our fault"})
    messages = pushed(relay, sender)
    assert messages[-1]["text"] == "Hi, I'm Alice. Checking order 100240 for you now."
    assert all("Courier delay" not in text for text in texts(messages))
    assert relay.say(sender, "thank you!") == []
    last = messages[-1]["id"]

    # Resolving resumes the bot, which asks for a rating and stores it with the ticket.
    resolved = alice.act(ticket["id"], "resolve")
    assert resolved["status"] == "resolved"
    survey = pushed(relay, sender, after=last)
    assert said("utter_handoff_resolved") in texts(survey)
    question = survey[-1]
    assert question["text"] == said("utter_ask_csat_form_csat_score")
    assert [button["title"] for button in question["buttons"]] == ["1", "2", "3", "4", "5"]
    comment = relay.say(sender, question["buttons"][3]["payload"])
    assert texts(comment) == [said("utter_ask_csat_form_csat_comment")]
    thanks = relay.say(sender, "Alice was quick and friendly")
    assert texts(thanks) == [said("utter_csat_thanks")]
    ticket = alice.ok("GET", f"/tickets/{ticket['id']}")["ticket"]
    assert ticket["csat"] == {"score": 4, "comment": "Alice was quick and friendly"}
    # "Anything else I can do for you?" "No thanks": a goodbye, not another handoff.
    assert texts(relay.say(sender, "no thanks")) == [said("utter_goodbye")]
    assert [entry["event"] for entry in ticket["history"]] == [
        "created",
        "claimed",
        "replied",
        "note",
        "resolved",
        "csat",
    ]

    # The bot is back for the next question.
    assert relay.say(sender, "what time do your stores open on saturday?") != []

    calls = wait_for_webhooks(
        {"ticket.created", "ticket.claimed", "ticket.resolved", "ticket.csat"}
    )
    mine = [call for call in calls if call["ticket"]["id"] == ticket["id"]]
    assert {"ticket.created", "ticket.claimed", "ticket.resolved", "ticket.csat"} <= {
        call["event"] for call in mine
    }
    assert all(call["valid"] for call in mine)
    # By default (RELAY_WEBHOOK_FIELDS unset) nothing personal leaves Relay.
    for personal in ("transcript", "customer", "conversation_id", "summary", "explanation"):
        assert all(personal not in call["ticket"] for call in mine), personal
    assert [call["ticket"]["csat"] for call in mine if call["event"] == "ticket.csat"] == [
        {"score": 4}
    ]


def test_never_mind_while_waiting_brings_the_bot_back(relay: Relay, alice: ConsoleClient) -> None:
    sender = "ho-nevermind"
    relay.say(sender, "can I speak to someone from your team")
    assert alice.ticket_for(site(sender))["status"] == "waiting"
    back = texts(relay.say(sender, "never mind, I'll ask the bot"))
    assert back == [said("utter_handoff_withdrawn")]
    assert alice.ticket_for(site(sender))["status"] == "returned_to_bot"
    assert relay.say(sender, "what payment methods do you take?") != []


def test_an_agent_can_hand_the_conversation_back_to_the_bot(
    relay: Relay, alice: ConsoleClient
) -> None:
    sender = "ho-return"
    relay.say(sender, "put me through to a human please")
    ticket = alice.ticket_for(site(sender))
    alice.act(ticket["id"], "claim")
    returned = alice.act(ticket["id"], "return")
    assert returned["status"] == "returned_to_bot"
    assert texts(pushed(relay, sender))[-1] == said("utter_handoff_returned")
    assert relay.say(sender, "do you have a store in Leeds?") != []


def test_a_ticket_can_be_transferred_to_a_colleague(
    relay: Relay, alice: ConsoleClient, bob: ConsoleClient
) -> None:
    sender = "ho-transfer"
    relay.say(sender, "I want to talk to an actual person about this")
    ticket = alice.ticket_for(site(sender))
    alice.act(ticket["id"], "claim")
    moved = alice.act(ticket["id"], "transfer", {"to": "bob"})
    assert moved["assignee"] == {"username": "bob", "name": "Bob Okafor"}
    assert alice.call("POST", f"/tickets/{ticket['id']}/reply", {"text": "x"})[0] == 403
    bob.act(ticket["id"], "reply", {"text": "Bob here, I'll take it from now."})
    assert texts(pushed(relay, sender))[-1] == "Bob here, I'll take it from now."
    status, body = alice.call("POST", f"/tickets/{ticket['id']}/transfer", {"to": "mallory"})
    assert status in (400, 403), body


# --- Other reasons to hand over -----------------------------------------------------------------


def test_a_furious_customer_is_handed_over_first_with_the_reasons(
    relay: Relay, alice: ConsoleClient
) -> None:
    sender = "ho-furious"
    relay.say(sender, "WHERE IS MY ORDER?!?! THIS IS THE THIRD TIME I'M ASKING")
    ticket = alice.ticket_for(site(sender))
    assert (ticket["reason_code"], ticket["priority"], ticket["priority_label"]) == (
        "frustration",
        1,
        "urgent",
    )
    assert ticket["explanation"].startswith("Frustration ")
    assert ticket["context"]["frustration"]["level"] == "high"
    assert ticket["transcript"][0]["frustration"] >= 0.8
    # Urgent tickets lead the queue, whatever their age.
    queue = alice.queue()
    assert queue[0]["priority"] == 1
    assert [t["priority"] for t in queue] == sorted(t["priority"] for t in queue)


def test_a_billing_problem_always_goes_to_a_person(relay: Relay, alice: ConsoleClient) -> None:
    sender = "ho-billing"
    handed = texts(relay.say(sender, "I've been charged twice for the same order"))
    assert any("passed your conversation to our team" in text for text in handed), handed
    ticket = alice.ticket_for(site(sender))
    assert ticket["reason_code"] == "always_human"
    assert "Billing problem" in ticket["explanation"]


def test_not_understanding_twice_in_a_row_hands_over(relay: Relay, alice: ConsoleClient) -> None:
    sender = "ho-lost"
    first = texts(relay.say(sender, "blorp fizzwhack quantumly"))
    assert first and first[0] == said("utter_ask_affirmation"), first
    second = texts(relay.say(sender, "zorbly wibble frumious"))
    assert said("utter_handoff_not_understood") in second, second
    ticket = alice.ticket_for(site(sender))
    assert ticket["reason_code"] == "not_understood"
    assert "zorbly wibble frumious" in ticket["explanation"]


def test_customer_text_is_stored_verbatim_for_the_console(
    relay: Relay, alice: ConsoleClient
) -> None:
    sender = "ho-hostile"
    relay.say(sender, "I need a human")
    hostile = "<img src=x onerror=alert(1)><script>alert('x')</script>"
    assert relay.say(sender, hostile) == []
    ticket = alice.ticket_for(site(sender))
    assert ticket["transcript"][-1]["text"] == hostile


# --- Restarts -----------------------------------------------------------------------------------


def test_a_restart_in_the_middle_of_a_handoff_loses_nothing(
    relay: Relay, alice: ConsoleClient
) -> None:
    sender = "ho-restart"
    relay.say(sender, "where is order 100205")
    relay.say(sender, "let me talk to a person")
    ticket = alice.ticket_for(site(sender))
    alice.act(ticket["id"], "claim")
    relay.say(sender, "hello? anyone?")

    restart(relay)

    alice = ConsoleClient(relay).login("alice")
    after = alice.ticket_for(site(sender))
    assert (after["id"], after["status"]) == (ticket["id"], "assigned")
    assert after["assignee"]["username"] == "alice"
    assert [t["text"] for t in after["transcript"] if t["speaker"] == "customer"][-1] == (
        "hello? anyone?"
    )
    assert after["context"]["details"]["order_id"] == "100205"
    # Still paused, still Alice's; her reply reaches the customer.
    assert relay.say(sender, "still there?") == []
    alice.act(ticket["id"], "reply", {"text": "Yes, sorry, back now."})
    assert texts(pushed(relay, sender))[-1] == "Yes, sorry, back now."
    assert alice.act(ticket["id"], "resolve")["status"] == "resolved"
