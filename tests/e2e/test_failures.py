"""End to end: failures are told, nothing is lost, and no secret reaches a log line.

The real Rasa and action servers on SQLite, with Telegram on (its Bot API a local
stand-in) and every secret set to a recognisable value. Then the action server is
killed (kill -9) and started again, the conversation database is locked as a dead
database would be, and the Rasa server is killed mid-handoff.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.settings import ROOT
from tests.conftest import FIXED_NOW
from tests.e2e import telegram_api
from tests.e2e.console import AGENTS, ConsoleClient, create_agents, pushed
from tests.e2e.servers import ACTIONS, RASA, TOKEN, Relay, http, kill, revive, site, start
from tests.e2e.telegram_api import TelegramApi, message_update

RESPONSES = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]
SECRETS = {
    "TELEGRAM_WEBHOOK_SECRET": "tg-webhook-secret-C0FFEE",
    "RELAY_REST_TOKEN": "rest-token-DECAFBAD-1234",
    "RELAY_WIDGET_SECRET": "widget-secret-FEEDFACE-5678",
    "RELAY_WIDGET_IDENTITY_SECRET": "identity-secret-BAADF00D-9",
    "RELAY_CONSOLE_SECRET": "console-secret-DEADBEEF-42",
    "RELAY_ACTION_TOKEN": "action-token-0DDBA11-777",
    "RELAY_WEBHOOK_SECRET": "webhook-secret-5EED-888",
}


def said(name: str) -> str:
    return RESPONSES[name][0]["text"]


@pytest.fixture(scope="module")
def api() -> Iterator[TelegramApi]:
    server = TelegramApi().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def relay(tmp_path_factory: pytest.TempPathFactory, api: TelegramApi) -> Iterator[Relay]:
    data_dir = tmp_path_factory.mktemp("relay-failures")
    create_agents(data_dir)
    running = start(
        data_dir,
        {
            "RELAY_NOW": FIXED_NOW,
            "TELEGRAM_BOT_TOKEN": telegram_api.TOKEN,
            "TELEGRAM_BASE_URL": api.base_url,
            "RELAY_WEBHOOK_URL": "http://127.0.0.1:9/hook",  # nobody listens: retried, logged
            "RELAY_ACTION_TIMEOUT": "3",
            "LOG_LEVEL": "DEBUG",  # the most a log can say
            **SECRETS,
        },
    )
    yield running
    running.stop()


def say(relay: Relay, sender: str, text: str) -> tuple[int, Any]:
    return http(
        "POST",
        f"{relay.url}/webhooks/rest/webhook",
        {"sender": sender, "message": text},
        headers=relay.rest_headers,
    )


def texts(reply: Any) -> str:
    messages = reply if isinstance(reply, list) else reply.get("messages", [])
    return "\n".join(message.get("text", "") for message in messages)


def ready(relay: Relay) -> tuple[int, Any]:
    return http("GET", f"{relay.url}/ready", timeout=30)


# --- Secrets --------------------------------------------------------------------------------


def test_no_secret_ever_reaches_a_log_line(relay: Relay, api: TelegramApi) -> None:
    # Every path that handles a secret: Telegram (its token is in every Bot API URL),
    # the widget (its token in query strings), REST with its token, the console's
    # sign-in, the HTTP API's token, a failing webhook delivery.
    update = message_update("hello, where is my order 100231?")
    status, _ = http(
        "POST",
        f"{relay.url}/webhooks/relay_telegram/webhook",
        update,
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRETS["TELEGRAM_WEBHOOK_SECRET"]},
    )
    assert status == 200
    api.wait_for(lambda calls: len(calls) >= 2, seconds=60, method="sendMessage")
    _, session = http("POST", f"{relay.url}/webhooks/widget/session", {})
    http("GET", f"{relay.url}/webhooks/widget/history?token={session['token']}")
    assert say(relay, "secret-test", "I want to talk to a person")[0] == 200
    alice = ConsoleClient(relay).login("alice")
    http("POST", f"{relay.url}/console/api/v1/login", {"username": "alice", "password": "wrong"})
    http("GET", f"{relay.url}/conversations/secret-test/tracker?token={TOKEN}")
    ticket = alice.ticket_for(site("secret-test"))
    alice.act(ticket["id"], "claim")
    time.sleep(3)  # the webhook's first attempt fails and is logged

    logs = "\n".join(path.read_text(errors="replace") for path in relay.logs)
    secrets = [
        *SECRETS.values(),
        telegram_api.TOKEN,
        TOKEN,
        session["token"],
        alice.token,
        *(password for _, password in AGENTS.values()),
    ]
    leaked = [secret for secret in secrets if secret and secret in logs]
    assert leaked == [], f"secrets in the logs: {leaked}"
    assert "sendMessage" in logs or "telegram" in logs.lower()  # the calls were logged...
    assert "[redacted]" in logs  # ...with their secrets taken out


def test_log_lines_name_their_conversation(relay: Relay) -> None:
    say(relay, "log-test", "what time do your stores open on saturday?")
    rasa_log = relay.logs[RASA].read_text(errors="replace")
    actions_log = relay.logs[ACTIONS].read_text(errors="replace")
    assert re.search(r"\[site-log-test\] rasa\.", rasa_log), "no Rasa line names the conversation"
    assert re.search(r"\[site-log-test\] ", actions_log), "no action line names it"


# --- The action server down -----------------------------------------------------------------


def test_the_action_server_down_gets_an_apology_a_ticket_and_then_recovers(relay: Relay) -> None:
    kill(relay, ACTIONS)
    try:
        started = time.monotonic()
        status, reply = say(relay, "down-status", "where is my order 100231?")
        assert status == 200 and time.monotonic() - started < 20
        assert said("utter_action_server_down") in texts(reply), reply

        status, reply = say(relay, "down-person", "I want to talk to a person")
        assert status == 200
        assert said("utter_action_server_down_handoff") in texts(reply), reply
        alice = ConsoleClient(relay).login("alice")
        ticket = alice.ticket_for(site("down-person"))
        assert ticket["status"] == "waiting" and "action server was down" in ticket["explanation"]
        assert say(relay, "down-person", "hello?") == (200, [])  # paused: a person will answer

        code, body = ready(relay)
        assert code == 503 and body["checks"]["action_server"] != "ok"
    finally:
        revive(relay, ACTIONS)
    assert ready(relay)[0] == 200
    status, reply = say(relay, "down-status", "where is my order 100231?")
    assert "100231" in texts(reply) and said("utter_action_server_down") not in texts(reply)


# --- The conversation database down ---------------------------------------------------------


def locked(database: Path) -> sqlite3.Connection:
    """Holds an exclusive lock on a SQLite file: nobody else reads or writes it."""
    connection = sqlite3.connect(database, timeout=30, isolation_level=None)
    connection.execute("BEGIN EXCLUSIVE")
    return connection


def test_a_dead_conversation_store_is_told_and_nothing_is_forgotten(relay: Relay) -> None:
    sender = "db-handoff"
    say(relay, sender, "where is order 100205")
    say(relay, sender, "let me talk to a person please")
    alice = ConsoleClient(relay).login("alice")
    ticket = alice.ticket_for(site(sender))
    alice.act(ticket["id"], "claim")

    lock = locked(relay.data_dir / "tracker.db")
    try:
        status, reply = say(relay, sender, "are you still there?")
        # Not answered as a new, unpaused customer: told, and asked to send it again.
        assert status == 503, reply
        assert texts(reply) == said("utter_service_unavailable")
        code, body = ready(relay)
        assert code == 503 and body["checks"]["conversations"] != "ok"
    finally:
        lock.execute("ROLLBACK")
        lock.close()

    assert ready(relay)[0] == 200
    # Sent again once the database is back: still Alice's case, the bot still quiet.
    assert say(relay, sender, "are you still there?") == (200, [])
    after = alice.ticket_for(site(sender))
    assert after["status"] == "assigned" and after["context"]["details"]["order_id"] == "100205"
    assert [t["text"] for t in after["transcript"] if t["speaker"] == "customer"][-1] == (
        "are you still there?"
    )
    alice.act(ticket["id"], "resolve")


# --- kill -9 mid-handoff --------------------------------------------------------------------


def test_killing_the_rasa_server_mid_handoff_loses_nothing(relay: Relay) -> None:
    sender = "kill-handoff"
    say(relay, sender, "let me talk to a person")
    alice = ConsoleClient(relay).login("alice")
    ticket = alice.ticket_for(site(sender))
    alice.act(ticket["id"], "claim")
    say(relay, sender, "hello? anyone?")

    kill(relay, RASA)
    revive(relay, RASA)

    alice = ConsoleClient(relay).login("alice")
    after = alice.ticket_for(site(sender))
    assert (after["id"], after["status"]) == (ticket["id"], "assigned")
    assert say(relay, sender, "still there?") == (200, [])
    alice.act(ticket["id"], "reply", {"text": "Yes, sorry, back now."})
    assert pushed(relay, sender)[-1]["text"] == "Yes, sorry, back now."
    alice.act(ticket["id"], "resolve")
