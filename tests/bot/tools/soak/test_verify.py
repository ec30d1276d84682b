"""bot/tools/soak/verify.py: the stack's data against what the clients were told."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from bot.tools.soak.journal import REST, AgentReply, Message
from bot.tools.soak.verify import (
    check_messages,
    check_replies,
    check_tickets,
    outbox,
    tickets,
    user_texts,
)


def message(conversation: str, text: str, accepted: bool = True) -> Message:
    return Message(REST, conversation, text, text, 0.0, attempts=1, accepted=accepted)


def test_every_accepted_message_must_be_stored_once() -> None:
    sent = [
        message("site-a", "hi"),
        message("site-a", "hi"),  # said twice on purpose: both must be there
        message("site-a", "where is my order?"),
        message("site-b", "thanks"),
        message("site-b", "refused", accepted=False),  # never answered with a 200
    ]
    stored = {
        "site-a": ["hi", "where is my order?", "where is my order?"],
        "site-b": ["thanks", "refused"],
        "site-other": ["not ours"],
    }
    check = check_messages(sent, stored)
    assert check.accepted == 4
    assert check.lost == [("site-a", "hi")]
    assert check.duplicates == [("site-a", "where is my order?")]
    assert check.stored_unacknowledged == [("site-b", "refused")]


def test_messages_refused_on_purpose_are_expected_nowhere() -> None:
    refused = Message(REST, "site-a", "", None, 0.0, accepted=False)
    assert check_messages([refused], {}).lost == []


def test_every_announced_handoff_needs_a_ticket() -> None:
    found = {
        "site-a": ["resolved", "resolved"],
        "site-b": [],
        "site-c": ["assigned"],
        "site-unrelated": ["waiting"],
    }
    check = check_tickets(
        {"site-a": 2, "site-b": 1}, found, ["site-a", "site-b", "site-c", "site-d"]
    )
    assert (check.expected, check.created) == (3, 2)
    assert check.missing == ["site-b"]
    assert check.unexpected == ["site-c"]  # a ticket nobody was told about
    assert check.still_open == ["site-c"]  # not other stacks' business: site-unrelated


def test_agent_replies_must_reach_the_outbox_and_the_waiting_customer() -> None:
    replies = [
        AgentReply(1, "site-a", "reply 1", 0.0),
        AgentReply(2, "site-b", "reply 2", 0.0),
        AgentReply(3, "site-c", "reply 3", 0.0),  # nobody polls site-c: the outbox will do
        AgentReply(4, "site-d", "reply 4", 0.0),
    ]
    found = {
        "site-a": ["joined", "reply 1", "reply 1"],
        "site-b": ["reply 2"],
        "site-c": ["reply 3"],
    }
    fetched = {"site-a": ["joined", "reply 1"], "site-b": []}
    check = check_replies(replies, ["site-a", "site-b"], fetched, found)
    assert (check.sent, check.in_outbox, check.awaited, check.received) == (4, 3, 2, 1)
    assert check.missing == [("site-b", "reply 2"), ("site-d", "reply 4")]
    assert check.duplicates == [("site-a", "reply 1")]


def test_the_databases_are_read_as_rasa_and_relay_write_them(tmp_path: Path) -> None:
    tracker = tmp_path / "tracker.db"
    with sqlite3.connect(tracker) as connection:
        connection.execute(
            "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255), "
            "type_name VARCHAR(255), timestamp FLOAT, intent_name VARCHAR(255), "
            "action_name VARCHAR(255), data TEXT)"
        )
        for sender, kind, data in [
            ("site-a", "user", {"event": "user", "text": "hi"}),
            ("site-a", "bot", {"event": "bot", "text": "Hello!"}),
            ("site-a", "user", {"event": "user", "text": "مرحبا 🙂"}),
            ("site-b", "user", {"event": "user", "text": None}),
        ]:
            connection.execute(
                "INSERT INTO events (sender_id, type_name, data) VALUES (?, ?, ?)",
                (sender, kind, json.dumps(data)),
            )
    shop = tmp_path / "shop.db"
    with sqlite3.connect(shop) as connection:
        connection.execute(
            "CREATE TABLE handoff_tickets (id INTEGER PRIMARY KEY, conversation_id TEXT, "
            "status TEXT)"
        )
        connection.execute(
            "CREATE TABLE handoff_outbox (id INTEGER PRIMARY KEY, conversation_id TEXT, "
            "payload_json TEXT)"
        )
        connection.executemany(
            "INSERT INTO handoff_tickets (conversation_id, status) VALUES (?, ?)",
            [("site-a", "resolved"), ("site-a", "waiting")],
        )
        connection.executemany(
            "INSERT INTO handoff_outbox (conversation_id, payload_json) VALUES (?, ?)",
            [("site-a", json.dumps({"text": "reply"})), ("site-a", json.dumps({"image": "x"}))],
        )
    assert user_texts(tracker) == {"site-a": ["hi", "مرحبا 🙂"], "site-b": [""]}
    assert tickets(shop) == {"site-a": ["resolved", "waiting"]}
    assert outbox(shop) == {"site-a": ["reply"]}
