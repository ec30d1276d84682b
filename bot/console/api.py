"""The agent console and its JSON API, served by the Rasa server under /console/.

Registered in credentials.yml like a channel (that is how Rasa mounts routes), it
receives no customer messages itself. Every API route but sign-in needs a valid
session (cookie or `Authorization: Bearer`; bot/handoff/auth.py); cookie-authenticated
writes also need the `X-Relay-Console` header, which other sites cannot send (CSRF).
Agents work the queue: they open any ticket but a colleague's case in progress, and
take a colleague's ticket only when it is transferred to them; admins also manage the
agents, take over or close any ticket, and see them all. The routes are documented in
bot/console/openapi.yml, served at /console/api/v1/openapi.json.

The stores are blocking (SQLAlchemy, the agents file): every call to them runs in a
worker thread (`asyncio.to_thread`), so the console's polling and a slow database
never hold up the event loop that also serves the customers' channels.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import yaml
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.exc import SQLAlchemyError

from bot.channels.inbound import bearer, clean_text, credential
from bot.console.conversations import Conversations, NotDelivered
from bot.handoff.agents import (
    ROLES,
    Agent,
    AgentsError,
    add_agent,
    remove_agent,
)
from bot.handoff.context import context, topic_names, transcript
from bot.handoff.tickets import (
    MAX_TEXT,
    InvalidRequest,
    NotAllowed,
    TextTooLong,
    TicketConflict,
    TicketError,
    TicketNotFound,
    TicketStore,
)
from bot.handoff.views import TicketDetail, TicketSummary
from bot.ops.conversation_store import ConversationStoreDown
from bot.services import Services, of_app

logger = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
ASSETS = {"console.js": "text/javascript", "console.css": "text/css"}
SPEC = Path(__file__).parent / "openapi.yml"
COOKIE = "relay_console"
DEVICE_COOKIE = "relay_console_device"
CSRF_HEADER = "X-Relay-Console"
MAX_USERNAME = 64
MAX_PASSWORD = 1024
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
SIGN_IN_FIRST = "Sign in first"
WRONG_PASSWORD = "Wrong username or password"
TOO_MANY = "Too many failed sign-ins; try again in a few minutes"
ADMINS_ONLY = "Only an admin can do that"
NOT_YOURS = "This ticket is a colleague's; ask them to transfer it to you"
NOT_DELIVERED = "Your reply did not reach the customer"
UNAVAILABLE = "The database is unavailable for a moment; try again shortly"

# What each kind of refused ticket operation is in HTTP, most specific first.
STATUSES: tuple[tuple[type[TicketError], int], ...] = (
    (TicketNotFound, 404),
    (NotAllowed, 403),
    (TicketConflict, 409),
    (TextTooLong, 413),
    (InvalidRequest, 400),
    (TicketError, 400),
)

Handler = Callable[..., Awaitable[HTTPResponse]]


def error(status: int, message: str) -> HTTPResponse:
    return response.json({"error": message}, status=status, headers=SECURITY_HEADERS)


def refusal(failure: TicketError | NotDelivered) -> HTTPResponse:
    """The answer to an operation the core refused: the one place its kind becomes a status."""
    if isinstance(failure, NotDelivered):
        return error(502, f"{NOT_DELIVERED}: {failure}")
    status = next(status for kind, status in STATUSES if isinstance(failure, kind))
    return error(status, failure.message)


def ok(body: dict[str, Any]) -> HTTPResponse:
    return response.json(body, headers=SECURITY_HEADERS)


def _token(request: Request) -> tuple[str | None, bool]:
    """The session token, and whether it came from the cookie (None for a missing or
    non-ASCII one, which no session has: bot/channels/inbound.py)."""
    token = bearer(request.headers.get("Authorization"))
    if token is not None:
        return token, False
    return credential(request.cookies.get(COOKIE)), True


def _client(request: Request) -> str:
    """The caller's address (the proxy's setting decides whether forwarded headers count)."""
    return str(request.remote_addr or request.ip or "unknown")


def _secure(request: Request) -> bool:
    return request.scheme == "https" or of_app(request.app).settings.secure_cookies


def _set_cookie(reply: HTTPResponse, request: Request, name: str, value: str, **extra: Any) -> None:
    reply.cookies[name] = value
    reply.cookies[name]["httponly"] = True
    reply.cookies[name]["samesite"] = "Strict"
    reply.cookies[name]["path"] = extra.pop("path", "/console")
    if _secure(request):
        reply.cookies[name]["secure"] = True
    for key, setting in extra.items():
        reply.cookies[name][key.replace("_", "-")] = setting


def _session_agent(services: Services, token: str | None) -> Agent | None:
    """The agent whose session `token` is (blocking: the agents file and the database)."""
    return services.sessions.agent(token, services.agents())


def signed_in(handler: Handler) -> Handler:
    """Runs `handler(request, agent, ...)` for a signed-in agent; 401/403 otherwise."""

    @functools.wraps(handler)
    async def wrapped(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
        token, from_cookie = _token(request)
        services = of_app(request.app)
        try:
            agent = await asyncio.to_thread(_session_agent, services, token)
            if agent is None:
                return error(401, SIGN_IN_FIRST)
            if request.method != "GET" and from_cookie and not request.headers.get(CSRF_HEADER):
                return error(403, f"Missing {CSRF_HEADER} header")
            await asyncio.to_thread(services.tickets.touch_agent, agent.username)
            return await handler(request, agent, *args, **kwargs)
        except (TicketError, NotDelivered) as failure:
            return refusal(failure)
        except (SQLAlchemyError, ConversationStoreDown):
            logger.exception("console: a database failed on %s", request.path)
            return error(503, UNAVAILABLE)

    return wrapped


def admin_only(handler: Handler) -> Handler:
    """Lets only admins through (after `signed_in`); 403 for agents."""

    @functools.wraps(handler)
    async def wrapped(request: Request, agent: Agent, *args: Any, **kwargs: Any) -> HTTPResponse:
        if not agent.is_admin:
            return error(403, ADMINS_ONLY)
        return await handler(request, agent, *args, **kwargs)

    return wrapped


def may_open(store: TicketStore, ticket: TicketDetail, agent: Agent) -> bool:
    """Admins open any ticket; agents all but a colleague's case in progress (unless it
    was theirs before: a transfer doesn't lock the previous owner out of its history)."""
    if agent.is_admin or ticket["status"] != "assigned":
        return True
    return store.held_by(ticket, agent.username)


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


def _text(request: Request, key: str = "text") -> str:
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


class ConsoleChannel(InputChannel):
    """Mounts the console page and API at /console (see the module docstring)."""

    @classmethod
    def name(cls) -> str:
        return "console"

    def url_prefix(self) -> str:
        return "/console"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        console = Blueprint("relay_console", __name__)
        api = "/api/v1"

        @console.route("/", methods=["GET"])
        async def page(request: Request) -> HTTPResponse:
            return response.html(
                (STATIC / "index.html").read_text(encoding="utf-8"), headers=SECURITY_HEADERS
            )

        @console.route("/static/<name>", methods=["GET"])
        async def asset(request: Request, name: str) -> HTTPResponse:
            if name not in ASSETS:
                return error(404, "Not found")
            return response.text(
                (STATIC / name).read_text(encoding="utf-8"),
                content_type=ASSETS[name],
                headers=SECURITY_HEADERS,
            )

        @console.route(f"{api}/openapi.json", methods=["GET"])
        async def openapi(request: Request) -> HTTPResponse:
            return ok(yaml.safe_load(SPEC.read_text(encoding="utf-8")))

        @console.route(f"{api}/login", methods=["POST"])
        async def login(request: Request) -> HTTPResponse:
            try:
                return await sign_in(request)
            except SQLAlchemyError:
                logger.exception("console: the ticket database failed at sign-in")
                return error(503, UNAVAILABLE)

        async def sign_in(request: Request) -> HTTPResponse:
            services = of_app(request.app)
            body = request.json if isinstance(request.json, dict) else {}
            username, password = str(body.get("username") or ""), str(body.get("password") or "")
            if len(username) > MAX_USERNAME or len(password) > MAX_PASSWORD:
                return error(401, WRONG_PASSWORD)
            client = _client(request)
            known_device = services.devices.knows(request.cookies.get(DEVICE_COOKIE), username)
            guard = services.guard
            if await guard.blocked(username, client, known_device):
                return error(429, TOO_MANY)
            agent = (await asyncio.to_thread(services.agents)).get(username)
            if not await services.hasher.check(password, agent):  # in a thread
                await guard.failed(username, client)
                return error(401, WRONG_PASSWORD)
            assert agent is not None
            await guard.succeeded(username, client)
            token = await asyncio.to_thread(services.sessions.issue, agent)
            await asyncio.to_thread(services.tickets.touch_agent, agent.username)
            reply = ok({"agent": agent.profile(), "token": token})
            _set_cookie(reply, request, COOKIE, token)
            device = services.devices.issue(agent.username)
            _set_cookie(
                reply, request, DEVICE_COOKIE, device, path=f"/console{api}/login", max_age=31536000
            )
            return reply

        @console.route(f"{api}/logout", methods=["POST"])
        @signed_in
        async def logout(request: Request, agent: Agent) -> HTTPResponse:
            services = of_app(request.app)
            await asyncio.to_thread(services.sessions.revoke, _token(request)[0])
            await asyncio.to_thread(services.tickets.sign_out, agent.username)
            reply = ok({"signed_out": True})
            _set_cookie(reply, request, COOKIE, "", max_age=0)
            return reply

        @console.route(f"{api}/me", methods=["GET"])
        @signed_in
        async def me(request: Request, agent: Agent) -> HTTPResponse:
            return ok({"agent": agent.profile()})

        @console.route(f"{api}/agents", methods=["GET"])
        @signed_in
        async def agents(request: Request, agent: Agent) -> HTTPResponse:
            services = of_app(request.app)
            within = services.rules.agent_online_seconds
            online = set(await asyncio.to_thread(services.tickets.online_agents, within))
            known = await asyncio.to_thread(services.agents)
            return ok(
                {
                    "agents": [
                        {**other.profile(), "online": other.username in online}
                        for other in known.values()
                    ]
                }
            )

        @console.route(f"{api}/agents", methods=["POST"])
        @signed_in
        @admin_only
        async def save_agent(request: Request, agent: Agent) -> HTTPResponse:
            """Adds an agent or resets one (a new password ends their sessions)."""
            services = of_app(request.app)
            body = request.json if isinstance(request.json, dict) else {}
            username, password = str(body.get("username") or ""), str(body.get("password") or "")
            name = clean_text(str(body.get("name") or username))[:120]
            role = body.get("role")
            if role is not None and role not in ROLES:
                return error(400, f"`role` is one of {list(ROLES)}")
            path = services.settings.agents_file
            assert path is not None
            try:
                saved = await asyncio.to_thread(add_agent, path, username, name, password, role)
            except AgentsError as refused:
                return error(400, str(refused))
            ended = await asyncio.to_thread(services.sessions.revoke_all, saved.username)
            return ok({"agent": saved.profile(), "sessions_ended": ended})

        @console.route(f"{api}/agents/<username>", methods=["DELETE"])
        @signed_in
        @admin_only
        async def delete_agent(request: Request, agent: Agent, username: str) -> HTTPResponse:
            services = of_app(request.app)
            if username == agent.username:
                return error(400, "You can't remove yourself")
            path = services.settings.agents_file
            assert path is not None
            try:
                removed = await asyncio.to_thread(remove_agent, path, username)
            except AgentsError as refused:
                return error(404 if "no agent" in str(refused) else 400, str(refused))
            await asyncio.to_thread(services.sessions.revoke_all, removed.username)
            return ok({"removed": removed.username})

        @console.route(f"{api}/tickets", methods=["GET"])
        @signed_in
        async def tickets(request: Request, agent: Agent) -> HTTPResponse:
            services = of_app(request.app)
            status = request.args.get("status", "open")
            if status not in ("open", "all"):
                return error(400, "status is open or all")
            known = await asyncio.to_thread(services.agents)
            found = await asyncio.to_thread(services.tickets.queue, status)
            return ok({"tickets": [present(services, t, known) for t in found]})

        @console.route(f"{api}/tickets/<ticket_id:int>", methods=["GET"])
        @signed_in
        async def ticket(request: Request, agent: Agent, ticket_id: int) -> HTTPResponse:
            services = of_app(request.app)
            found = await asyncio.to_thread(services.tickets.get, ticket_id)
            if not may_open(services.tickets, found, agent):
                return error(403, NOT_YOURS)
            console = Console(request)
            return ok({"ticket": await shown(services, await console.refreshed(ticket_id))})

        @console.route(f"{api}/tickets/<ticket_id:int>/claim", methods=["POST"])
        @signed_in
        async def claim(request: Request, agent: Agent, ticket_id: int) -> HTTPResponse:
            console = Console(request)
            ticket = await console.claim(ticket_id, agent)
            return ok({"ticket": await shown(console.services, ticket)})

        @console.route(f"{api}/tickets/<ticket_id:int>/reply", methods=["POST"])
        @signed_in
        async def reply(request: Request, agent: Agent, ticket_id: int) -> HTTPResponse:
            text = _text(request)
            console = Console(request)
            ticket = await console.reply(ticket_id, agent, text)
            return ok({"ticket": await shown(console.services, ticket)})

        @console.route(f"{api}/tickets/<ticket_id:int>/note", methods=["POST"])
        @signed_in
        async def note(request: Request, agent: Agent, ticket_id: int) -> HTTPResponse:
            services = of_app(request.app)
            text = _text(request)
            found = await asyncio.to_thread(services.tickets.get, ticket_id)
            if not may_open(services.tickets, found, agent):
                return error(403, NOT_YOURS)
            noted = await asyncio.to_thread(services.tickets.note, ticket_id, agent.username, text)
            return ok({"ticket": await shown(services, noted)})

        @console.route(f"{api}/tickets/<ticket_id:int>/transfer", methods=["POST"])
        @signed_in
        async def transfer(request: Request, agent: Agent, ticket_id: int) -> HTTPResponse:
            services = of_app(request.app)
            to = _text(request, "to")
            if to not in await asyncio.to_thread(services.agents):
                return error(400, f"No agent called {to!r}")
            ticket = await asyncio.to_thread(
                services.tickets.transfer, ticket_id, agent.username, to, agent.is_admin
            )
            await asyncio.to_thread(services.webhook.send, "ticket.transferred", ticket)
            return ok({"ticket": await shown(services, ticket)})

        @console.route(f"{api}/tickets/<ticket_id:int>/resolve", methods=["POST"])
        @signed_in
        async def resolve(request: Request, agent: Agent, ticket_id: int) -> HTTPResponse:
            console = Console(request)
            ticket = await console.close(ticket_id, agent, "resolved")
            return ok({"ticket": await shown(console.services, ticket)})

        @console.route(f"{api}/tickets/<ticket_id:int>/return", methods=["POST"])
        @signed_in
        async def hand_back(request: Request, agent: Agent, ticket_id: int) -> HTTPResponse:
            console = Console(request)
            ticket = await console.close(ticket_id, agent, "returned_to_bot")
            return ok({"ticket": await shown(console.services, ticket)})

        return console
