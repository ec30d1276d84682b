"""What the console's routes do with tickets and their conversations, and how a ticket
is shown to agents.

The ticket store, the agents file and the webhook are called in worker threads, Rasa's
conversations on the loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from sanic.request import Request

from bot.channels.inbound import clean_text
from bot.console.conversations import Conversations, NotDelivered
from bot.handoff.agents import Agent
from bot.handoff.context import context, topic_names, transcript
from bot.handoff.tickets import MAX_TEXT, InvalidRequest, TextTooLong
from bot.handoff.views import TicketDetail, TicketSummary
from bot.services import Services, of_app


def present(
    services: Services, ticket: Mapping[str, Any], agents: dict[str, Agent] | None = None
) -> dict[str, Any]:
    """A ticket as the API shows it: agents with their names, reasons with their labels."""
    agents = services.agents() if agents is None else agents
    rules = services.rules

    def agent(username: str | None) -> dict[str, str] | None:
        if username is None:
            return None
        known = agents.get(username)
        return known.public() if known else {"username": username, "name": username}

    def label(code: str) -> str:
        return rules.reasons[code].label if code in rules.reasons else code

    shown = {
        **ticket,
        "assignee": agent(ticket["assignee"]),
        "reason": label(ticket["reason_code"]),
    }
    if "notes" in ticket:
        shown["notes"] = [
            {**note, "agent_name": (agent(note["agent"]) or {}).get("name")}
            for note in ticket["notes"]
        ]
        shown["earlier_tickets"] = [
            {**other, "reason": label(other["reason_code"])} for other in ticket["earlier_tickets"]
        ]
    return shown


async def shown(services: Services, ticket: Mapping[str, Any]) -> dict[str, Any]:
    """`present`, with the agents file read in a thread."""
    return present(services, ticket, await asyncio.to_thread(services.agents))


def text_from(request: Request, key: str = "text") -> str:
    """Free text from the body, cleaned like a customer's (no surrogates or control
    characters: bot/channels/inbound.py); InvalidRequest when none is left, TextTooLong
    when too long."""
    body = request.json if isinstance(request.json, dict) else {}
    value = body.get(key)
    if isinstance(value, str) and len(value) > MAX_TEXT * 2:  # before cleaning a huge one
        raise TextTooLong(f"`{key}` is longer than {MAX_TEXT} characters")
    text = clean_text(value) if isinstance(value, str) else ""
    if not text:
        raise InvalidRequest(f"`{key}` must be a non-empty string")
    if len(text) > MAX_TEXT:
        raise TextTooLong(f"`{key}` is longer than {MAX_TEXT} characters")
    return text


class Console:
    """The operations behind the routes, on tickets and their conversations.

    The ticket store and the webhook are called in worker threads, Rasa's
    conversations on the loop.
    """

    def __init__(self, request: Request) -> None:
        self.conversations = Conversations(request.app)
        self.domain = request.app.ctx.agent.domain
        self.services = of_app(request.app)
        self.store = self.services.tickets

    async def send(self, event: str, ticket: Mapping[str, Any]) -> None:
        """Stores a webhook event for delivery (an INSERT, so in a thread)."""
        await asyncio.to_thread(self.services.webhook.send, event, ticket)

    async def refreshed(self, ticket_id: int) -> TicketDetail:
        """The ticket, its transcript and context brought up to date while it is open."""
        ticket = await asyncio.to_thread(self.store.get, ticket_id)
        if ticket["status"] in ("waiting", "assigned"):
            await self.snapshot(ticket)
            ticket = await asyncio.to_thread(self.store.get, ticket_id)
        return ticket

    async def snapshot(self, ticket: TicketSummary) -> None:
        events = await self.conversations.events(ticket["conversation_id"])
        if events:
            topics = topic_names(self.domain.responses)
            redaction = self.services.settings.redact
            await asyncio.to_thread(
                self.store.update_transcript,
                ticket["id"],
                transcript(events, redaction),
                context(events, topics, redaction),
            )

    async def claim(self, ticket_id: int, agent: Agent) -> TicketDetail:
        before = await asyncio.to_thread(self.store.get, ticket_id)
        ticket = await asyncio.to_thread(
            self.store.claim, ticket_id, agent.username, take_over=agent.is_admin
        )
        conversation = ticket["conversation_id"]
        await self.conversations.set_paused(conversation, True)
        if before["assignee"] != agent.username:
            await self.conversations.utter(conversation, "utter_agent_joined", agent=agent.name)
        await self.send("ticket.claimed", ticket)
        return await self.refreshed(ticket_id)

    async def reply(self, ticket_id: int, agent: Agent, text: str) -> TicketDetail:
        ticket = await asyncio.to_thread(self.store.check_owner, ticket_id, agent.username)
        try:
            await self.conversations.say_as_agent(ticket["conversation_id"], text, agent.public())
        except NotDelivered as failure:
            await asyncio.to_thread(self.store.undelivered, ticket_id, agent.username, str(failure))
            raise
        await asyncio.to_thread(self.store.replied, ticket_id, agent.username, text)
        return await self.refreshed(ticket_id)

    async def close(self, ticket_id: int, agent: Agent, status: str) -> TicketDetail:
        ticket: TicketSummary
        if agent.is_admin:
            ticket = await asyncio.to_thread(self.store.get, ticket_id)
        else:
            ticket = await asyncio.to_thread(self.store.check_owner, ticket_id, agent.username)
        await self.snapshot(ticket)
        closed = await asyncio.to_thread(
            self.store.close, ticket_id, agent.username, status, any_owner=agent.is_admin
        )
        conversation = ticket["conversation_id"]
        await self.conversations.set_paused(conversation, False)
        if status == "resolved":
            await self.conversations.run_actions(
                conversation, "action_handoff_resolved", "csat_form"
            )
        else:
            await self.conversations.utter(conversation, "utter_handoff_returned")
        await self.send(f"ticket.{status}", closed)
        return await asyncio.to_thread(self.store.get, ticket_id)
