"""What an agent needs to know, read from a conversation's tracker events.

`transcript()` turns Rasa events (as dicts, the form both the Rasa server and the
action server have) into turns with text, time, intent, confidence, sentiment and
frustration; `context()` summarises what the customer wants, the details they
gave and what the bot already tried, so the agent never asks again.
With redaction on (RELAY_REDACT), emails, phone and card numbers in the turns' texts
are replaced by [email], [phone] and [card] (bot/privacy/redact.py).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from bot.privacy.redact import redact
from bot.settings import load_settings

# Slots worth showing an agent, in the order they are shown.
DETAIL_SLOTS = (
    "customer_name",
    "order_id",
    "email",
    "product",
    "return_product",
    "return_reason",
    "new_address",
    "city",
    "subscription_action",
)
# Intents that say nothing about what the customer wants.
SMALL_TALK = frozenset(
    {
        "greet",
        "goodbye",
        "thank_you",
        "affirm",
        "deny",
        "inform",
        "bot_challenge",
        "compliment",
        "nlu_fallback",
        "out_of_scope",
        "request_human",
        "nevermind",
    }
)
AGENT_KEY = "relay_agent"
FRUSTRATION_SLOT = "frustration"
MAX_INTENTS = 5
SNIPPET = 120


def _time(timestamp: Any) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(float(timestamp), tz=timezone.utc).isoformat()


def _sentiment(parse_data: dict[str, Any]) -> dict[str, Any] | None:
    sentiment = parse_data.get("sentiment")
    if not isinstance(sentiment, dict) or "label" not in sentiment:
        return None
    return {"label": sentiment["label"], "score": round(float(sentiment.get("score", 0.0)), 3)}


def _customer_turn(event: dict[str, Any]) -> dict[str, Any]:
    parse_data = event.get("parse_data") or {}
    intent = parse_data.get("intent") or {}
    confidence = intent.get("confidence")
    return {
        "time": _time(event.get("timestamp")),
        "speaker": "customer",
        "text": event.get("text") or "",
        "intent": intent.get("name"),
        "confidence": None if confidence is None else round(float(confidence), 3),
        "sentiment": _sentiment(parse_data),
        "frustration": None,
        "agent": None,
    }


def _bot_turn(event: dict[str, Any]) -> dict[str, Any]:
    metadata = event.get("metadata") or {}
    agent = metadata.get(AGENT_KEY)
    buttons = ((event.get("data") or {}).get("buttons")) or []
    text = event.get("text") or ""
    if buttons:
        titles = ", ".join(str(button.get("title", "")) for button in buttons)
        text = f"{text} [{titles}]" if text else f"[{titles}]"
    return {
        "time": _time(event.get("timestamp")),
        "speaker": "agent" if agent else "bot",
        "text": text,
        "intent": None,
        "confidence": None,
        "sentiment": None,
        "frustration": None,
        "agent": agent.get("name") if isinstance(agent, dict) else None,
    }


def transcript(events: list[dict[str, Any]], redaction: bool | None = None) -> list[dict[str, Any]]:
    """Customer, bot, agent and system turns, in order; each customer turn carries the
    frustration score the policy computed for it.

    Args:
        events: The conversation's tracker events as dicts.
        redaction: Whether the texts are redacted; None: as the settings say (RELAY_REDACT).
    """
    if redaction is None:
        redaction = load_settings().redact
    turns: list[dict[str, Any]] = []
    last_customer: dict[str, Any] | None = None
    for event in events:
        kind = event.get("event")
        if kind == "user":
            last_customer = _customer_turn(event)
            turns.append(last_customer)
        elif kind == "bot":
            turns.append(_bot_turn(event))
        elif kind == "slot" and event.get("name") == FRUSTRATION_SLOT:
            value = event.get("value")
            if last_customer is not None and isinstance(value, dict) and "score" in value:
                last_customer["frustration"] = round(float(value["score"]), 3)
        elif kind in ("pause", "resume"):
            turns.append(
                {
                    "time": _time(event.get("timestamp")),
                    "speaker": "system",
                    "text": "bot paused" if kind == "pause" else "bot resumed",
                    "intent": None,
                    "confidence": None,
                    "sentiment": None,
                    "frustration": None,
                    "agent": None,
                }
            )
    if redaction:
        for turn in turns:
            turn["text"] = redact(turn["text"])
    return turns


def _slots(events: list[dict[str, Any]]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for event in events:
        if event.get("event") == "slot" and isinstance(event.get("name"), str):
            values[event["name"]] = event.get("value")
        elif event.get("event") in ("restart", "session_started"):
            values = {}
    return values


def context(
    events: list[dict[str, Any]], topics: dict[str, str], redaction: bool | None = None
) -> dict[str, Any]:
    """What the customer wants, the details they gave, what the bot tried, their mood.

    Args:
        events: The conversation's tracker events as dicts.
        topics: Readable names of intents ("order_status" -> "Track an order").
        redaction: Whether the texts quoted are redacted; None: as the settings say.
    """
    slots = _slots(events)
    turns = transcript(events, redaction)
    intents: list[str] = []
    tried: list[str] = []
    pending: str | None = None
    for turn in turns:
        if turn["speaker"] == "customer":
            intent = turn["intent"]
            pending = None
            if intent and intent not in SMALL_TALK:
                intents = [name for name in intents if name != intent] + [intent]
                pending = intent
        elif turn["speaker"] == "bot" and pending:
            tried.append(f"{topics.get(pending, pending)}: {turn['text'][:SNIPPET]}")
            pending = None
    details = {name: slots[name] for name in DETAIL_SLOTS if slots.get(name) not in (None, "", [])}
    frustration = slots.get(FRUSTRATION_SLOT)
    if isinstance(frustration, dict):
        frustration = {
            "score": frustration.get("score"),
            "level": frustration.get("level"),
            "reasons": [
                {"code": reason.get("code"), "detail": reason.get("detail")}
                for reason in frustration.get("reasons") or []
            ],
        }
    else:
        frustration = None
    latest = intents[-1] if intents else None
    return {
        "wants": topics.get(latest, latest) if latest else "",
        "intents": intents[-MAX_INTENTS:],
        "details": details,
        "tried": tried[-MAX_INTENTS:],
        "frustration": frustration,
    }


def one_line(ctx: dict[str, Any], reason: str) -> str:
    """A one-line summary for the queue: what they want, the key detail, and why."""
    parts = [ctx.get("wants") or reason]
    details = ctx.get("details") or {}
    if details.get("order_id"):
        parts.append(f"order {details['order_id']}")
    if ctx.get("wants"):
        parts.append(reason)
    return " · ".join(str(part) for part in parts if part)


def topic_names(responses: dict[str, Any]) -> dict[str, str]:
    """Readable intent names from the domain's `utter_topic_<intent>` responses."""
    names = {}
    for key, variations in (responses or {}).items():
        if key.startswith("utter_topic_") and variations:
            names[key.removeprefix("utter_topic_")] = str(variations[0].get("text", ""))
    return names
