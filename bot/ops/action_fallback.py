"""What Relay answers for an action the action server could not run (bot/ops/action_guard.py).

The answer has the action server's own shape (`events` and `responses`, responses
named from domain.yml), so Rasa carries on as if the action had run:

- `action_session_start`: a new session starts (the customer isn't recognised by
  name until the action server is back), paused if a person has the conversation;
- a form's `validate_*` action: the form stops (rather than asking the same
  question forever) with an apology;
- a handoff (asked for, not understood twice, frustration): the ticket is opened
  here, in the ticket database both servers share, the bot pauses, and the customer
  hears that a person will reply; if that fails too, how to reach the team;
- anything else: an apology, and any active form is stopped.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot.handoff.context import context, one_line, topic_names, transcript
from bot.handoff.views import TicketDetail
from bot.services import Services

logger = logging.getLogger(__name__)

DOWN = "utter_action_server_down"
DOWN_HANDOFF = "utter_action_server_down_handoff"
DOWN_NO_HANDOFF = "utter_action_server_down_no_handoff"
# The actions that hand a conversation to a person, and the reason each one gives.
HANDOFFS = {
    "action_handoff": "request_human",
    "action_default_fallback": "not_understood",
    "action_escalate_frustration": "frustration",
}
STOP_FORM = [
    {"event": "active_loop", "name": None},
    {"event": "slot", "name": "requested_slot", "value": None},
]


def _answer(responses: list[str], events: list[dict[str, Any]], **values: Any) -> dict[str, Any]:
    return {"events": events, "responses": [{"response": name, **values} for name in responses]}


def _contact(services: Services) -> dict[str, str]:
    facts = services.facts
    return {"phone": facts.contact_phone, "email": facts.contact_email}


def _session_start(services: Services, call: dict[str, Any]) -> dict[str, Any]:
    events: list[dict[str, Any]] = [
        {"event": "session_started"},
        {"event": "action", "name": "action_listen"},
    ]
    try:
        ticket = services.tickets.open_for(str(call.get("sender_id")))
    except SQLAlchemyError:
        ticket = None
    if ticket is not None and not ticket["follow_up"]:
        events.append({"event": "pause"})
    return {"events": events, "responses": []}


def _reason(services: Services, call: dict[str, Any]) -> str:
    code = HANDOFFS[str(call.get("next_action"))]
    intent = ((call.get("tracker") or {}).get("latest_message") or {}).get("intent") or {}
    if code == "request_human" and intent.get("name") in services.rules.always_human_intents:
        return "always_human"
    return code


def _open_ticket(services: Services, call: dict[str, Any]) -> TicketDetail:
    """Opens the handoff ticket from what the call carries (the whole tracker)."""
    tracker = call.get("tracker") or {}
    events = list(tracker.get("events") or [])
    slots = tracker.get("slots") or {}
    domain = call.get("domain") or {}
    rules = services.rules
    code = _reason(services, call)
    redaction = services.settings.redact
    ctx = context(events, topic_names(domain.get("responses") or {}), redaction)
    channel = next(
        (e.get("input_channel") for e in reversed(events) if e.get("event") == "user"), None
    )
    customer_id = slots.get("customer_id")
    return services.tickets.create(
        conversation_id=str(call.get("sender_id")),
        channel=channel or "rest",
        reason_code=code,
        explanation=f"{rules.reason(code).label} (the action server was down)",
        priority=rules.reason(code).priority,
        summary=one_line(ctx, rules.reason(code).label),
        context=ctx,
        transcript=transcript(events, redaction),
        customer={
            "id": int(str(customer_id)) if str(customer_id).isdigit() else None,
            "name": slots.get("customer_name"),
            "email": slots.get("email"),
        },
    )


async def _handoff(services: Services, call: dict[str, Any]) -> dict[str, Any]:
    try:
        ticket = await asyncio.to_thread(_open_ticket, services, call)
    except SQLAlchemyError:
        logger.exception("could not open a ticket for %s either", call.get("sender_id"))
        return _answer([DOWN_NO_HANDOFF], [], **_contact(services))
    services.webhook.send("ticket.created", ticket)
    return _answer([DOWN_HANDOFF], [{"event": "pause"}])


async def answer(services: Services, call: dict[str, Any], reason: str) -> dict[str, Any]:
    """The response Relay gives for the action `call` names (see the module docstring)."""
    name = str(call.get("next_action") or "")
    if name == "action_session_start":
        return await asyncio.to_thread(_session_start, services, call)
    if name in HANDOFFS:
        return await _handoff(services, call)
    active = ((call.get("tracker") or {}).get("active_loop") or {}).get("name")
    if name.startswith("validate_") or active:
        return _answer([DOWN], list(STOP_FORM))
    return _answer([DOWN], [])
