"""After a soak: does the stack's own data hold what the clients were told it holds?

Read from the databases themselves once the servers have stopped: every message
Relay accepted (a 200) must be a user event of its conversation in the tracker
store, once; every conversation the bot told "I've passed you to our team" must
have a ticket; every reply the agent sent must be in the customer's outbox, and
the customer who was waiting for it must have received it.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot.tools.soak.journal import AgentReply, Message

Key = tuple[str, str]  # (conversation id, text)


def _read_only(database: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)


def user_texts(tracker_db: Path) -> dict[str, list[str]]:
    """Each conversation's user messages, in order, from Rasa's SQL tracker store."""
    found: dict[str, list[str]] = {}
    with _read_only(tracker_db) as connection:
        rows = connection.execute(
            "SELECT sender_id, data FROM events WHERE type_name = 'user' ORDER BY id"
        )
        for sender, data in rows:
            text = json.loads(data).get("text")
            found.setdefault(sender, []).append(text if isinstance(text, str) else "")
    return found


def tickets(shop_db: Path) -> dict[str, list[str]]:
    """Each conversation's tickets' statuses, from the ticket table."""
    found: dict[str, list[str]] = {}
    with _read_only(shop_db) as connection:
        rows = connection.execute("SELECT conversation_id, status FROM handoff_tickets ORDER BY id")
        for conversation, status in rows:
            found.setdefault(conversation, []).append(status)
    return found


def outbox(shop_db: Path) -> dict[str, list[str]]:
    """Each conversation's outbox texts, in order (what the REST and widget clients fetch)."""
    found: dict[str, list[str]] = {}
    with _read_only(shop_db) as connection:
        rows = connection.execute(
            "SELECT conversation_id, payload_json FROM handoff_outbox ORDER BY id"
        )
        for conversation, payload in rows:
            text = json.loads(payload).get("text")
            if isinstance(text, str):
                found.setdefault(conversation, []).append(text)
    return found


@dataclass
class MessageCheck:
    """Accepted messages against the tracker store.

    Attributes:
        accepted: Messages Relay answered with a 200 (each must be stored once).
        lost: Accepted messages missing from their conversation.
        duplicates: Extra copies of accepted messages (a retry of one that had gone through).
        stored_unacknowledged: Messages stored although Relay never answered them with a 200.
    """

    accepted: int = 0
    lost: list[Key] = field(default_factory=list)
    duplicates: list[Key] = field(default_factory=list)
    stored_unacknowledged: list[Key] = field(default_factory=list)


def check_messages(messages: Iterable[Message], stored: dict[str, list[str]]) -> MessageCheck:
    """Compares what clients had accepted with what the conversations hold (as multisets)."""
    accepted: Counter[Key] = Counter()
    unanswered: Counter[Key] = Counter()
    for message in messages:
        if message.stored is None:
            continue
        key = (message.conversation, message.stored)
        if message.accepted:
            accepted[key] += 1
        else:
            unanswered[key] += 1
    have: Counter[Key] = Counter(
        (conversation, text) for conversation, texts in stored.items() for text in texts
    )
    check = MessageCheck(accepted=sum(accepted.values()))
    for key in sorted(set(accepted) | set(unanswered)):
        want, got = accepted[key], have[key]
        check.lost += [key] * max(0, want - got)
        extra = max(0, got - want)
        unacknowledged = min(extra, unanswered[key])
        check.stored_unacknowledged += [key] * unacknowledged
        check.duplicates += [key] * (extra - unacknowledged)
    return check


@dataclass
class TicketCheck:
    """Handoffs the bot announced against the ticket table.

    Attributes:
        expected: Handoffs announced ("I've passed your conversation to our team").
        created: Of those, the ones with a ticket.
        missing: A conversation for each announced handoff without a ticket.
        unexpected: A conversation for each ticket nobody was told about.
        still_open: Conversations whose ticket is still waiting or assigned.
    """

    expected: int = 0
    created: int = 0
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    still_open: list[str] = field(default_factory=list)


def check_tickets(
    announced: dict[str, int], found: dict[str, list[str]], conversations: Iterable[str]
) -> TicketCheck:
    """Every announced handoff needs a ticket of its conversation; tickets on other soak
    conversations (or more than were announced) are unexpected.

    Args:
        announced: How many handoffs the bot announced in each conversation.
        found: Each conversation's tickets' statuses (from `tickets`).
        conversations: The soak's conversations (other tickets are none of its business).
    """
    check = TicketCheck()
    for conversation in sorted(set(conversations) | set(announced)):
        want = announced.get(conversation, 0)
        statuses = found.get(conversation, [])
        check.expected += want
        check.created += min(want, len(statuses))
        check.missing += [conversation] * max(0, want - len(statuses))
        check.unexpected += [conversation] * max(0, len(statuses) - want)
        if any(status in ("waiting", "assigned") for status in statuses):
            check.still_open.append(conversation)
    return check


@dataclass
class ReplyCheck:
    """The agent's replies against the outboxes and what the customers fetched.

    Attributes:
        sent: Replies the console accepted.
        in_outbox: Of those, the ones in their conversation's outbox.
        awaited: Replies to conversations where a customer was waiting for a person.
        received: Of those, the ones the customer fetched.
        missing: Replies not in the outbox, or not fetched by the customer waiting for them.
        duplicates: Extra copies of a reply in an outbox.
    """

    sent: int = 0
    in_outbox: int = 0
    awaited: int = 0
    received: int = 0
    missing: list[Key] = field(default_factory=list)
    duplicates: list[Key] = field(default_factory=list)


def check_replies(
    replies: Iterable[AgentReply],
    waiting: Iterable[str],
    fetched: dict[str, list[str]],
    found: dict[str, list[str]],
) -> ReplyCheck:
    """Compares the agent's replies with the outboxes (`found`) and what customers fetched.

    Args:
        replies: What the agent sent.
        waiting: Conversations where a customer waited for a person (and polled).
        fetched: What those customers fetched from their outbox.
        found: Each conversation's outbox texts (from `outbox`).
    """
    check = ReplyCheck()
    awaited = set(waiting)
    for reply in replies:
        check.sent += 1
        key = (reply.conversation, reply.text)
        copies = found.get(reply.conversation, []).count(reply.text)
        check.in_outbox += copies > 0
        check.duplicates += [key] * max(0, copies - 1)
        seen = True
        if reply.conversation in awaited:
            check.awaited += 1
            seen = reply.text in fetched.get(reply.conversation, [])
            check.received += seen
        if copies == 0 or not seen:
            check.missing.append(key)
    return check
