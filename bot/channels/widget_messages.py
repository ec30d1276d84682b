"""What the website widget shows: bot, agent and customer messages, and who is answering.

Shapes Rasa's replies, the conversation's tracker events and the outbox's messages
into the few forms the widget's script renders (text, buttons, an image), with
agents' words flagged with their names.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rasa.shared.core.trackers import DialogueStateTracker

from bot.channels.outbox import Outbox
from bot.handoff.context import AGENT_KEY
from bot.services import Services

MAX_HISTORY = 200  # messages a reload shows
AGENT_EVENTS = 200  # latest tracker events searched for an agent's words


def _safe_image(url: Any) -> str | None:
    if not isinstance(url, str):
        return None
    scheme = url.split(":", 1)[0].strip().lower()
    if scheme in ("http", "https") or url.startswith("data:image/"):
        return url
    return None


def bot_message(message: dict[str, Any]) -> dict[str, Any] | None:
    """What the widget renders of one bot message: text, buttons and an image."""
    shaped: dict[str, Any] = {}
    text = message.get("text")
    if isinstance(text, str) and text.strip():
        shaped["text"] = text
    buttons = [
        {"title": str(button.get("title") or button["payload"]), "payload": str(button["payload"])}
        for button in message.get("buttons") or []
        if isinstance(button, dict) and button.get("payload")
    ]
    if buttons:
        shaped["buttons"] = buttons
    image = _safe_image(message.get("image"))
    if image:
        shaped["image"] = image
    return shaped or None


def _agent_name(metadata: Any) -> str | None:
    agent = (metadata or {}).get(AGENT_KEY) if isinstance(metadata, dict) else None
    if isinstance(agent, dict):
        return str(agent.get("name") or "Our team")
    return None


def history(events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The customer's and the bot's (or an agent's) messages of a conversation, oldest first.

    A button the customer pressed shows as its title; other `/intent` payloads are left out.
    """
    messages: list[dict[str, Any]] = []
    offered: list[dict[str, str]] = []  # buttons shown since the customer's last message
    for event in events:
        kind = event.get("event")
        if kind == "user":
            text = str(event.get("text") or "")
            pressed = next((b for b in reversed(offered) if b["payload"] == text), None)
            if pressed is not None:
                messages.append({"from": "customer", "text": pressed["title"], "payload": text})
            elif text.strip() and not text.startswith("/"):
                messages.append({"from": "customer", "text": text})
            offered = []
        elif kind == "bot":
            shaped = bot_message({"text": event.get("text"), **(event.get("data") or {})})
            if shaped is None:
                continue
            agent = _agent_name(event.get("metadata"))
            messages.append(
                {"from": "agent", "agent": agent, **shaped}
                if agent
                else {
                    "from": "bot",
                    **shaped,
                }
            )
            offered += shaped.get("buttons", [])
    return messages[-MAX_HISTORY:]


def agents_words(events: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Agent name by each paragraph agents said (the outbox keeps paragraphs apart)."""
    said: dict[str, str] = {}
    for event in events:
        name = _agent_name(event.get("metadata")) if event.get("event") == "bot" else None
        if name:
            text = str(event.get("text") or "").strip()
            said.update({part: name for part in text.split("\n\n")})
    return said


def later_message(message: dict[str, Any], agents: dict[str, str]) -> dict[str, Any] | None:
    """An outbox message as the widget renders it, with its id and who sent it."""
    shaped = bot_message(message)
    if shaped is None:
        return None
    agent = agents.get(shaped.get("text", ""))
    sender = {"from": "agent", "agent": agent} if agent else {"from": "bot"}
    return {"id": message["id"], **sender, **shaped}


def handled_by(services: Services, sender: str) -> dict[str, Any]:
    """Who handles the conversation now: the bot, nobody yet (waiting) or an agent.

    Blocking (the ticket store, the agents file): async callers run it in a thread."""
    ticket = services.tickets.open_for(sender)
    if ticket is None or ticket.get("follow_up"):
        # A case followed up by email leaves the bot chatting meanwhile.
        return {"state": "bot", "agent": None}
    if ticket["status"] == "assigned":
        known = services.agents().get(ticket.get("assignee") or "")
        return {"state": "agent", "agent": known.name if known else None}
    return {"state": "waiting", "agent": None}


def events_of(tracker: DialogueStateTracker | None) -> list[dict[str, Any]]:
    return [event.as_dict() for event in tracker.events] if tracker else []


def last_outbox_id(outbox: Outbox, sender: str) -> int:
    """The id of the conversation's latest outbox message, 0 if none (blocking)."""
    last = 0
    while batch := outbox.pull(sender, last):
        last = batch[-1]["id"]
    return last
