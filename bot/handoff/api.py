"""The agent console and its JSON API, served by the Rasa server under /console/.

Registered in credentials.yml like a channel (that is how Rasa mounts routes), it
receives no customer messages itself. Every API route but sign-in needs a valid
session (cookie or `Authorization: Bearer`); cookie-authenticated writes also need
the `X-Relay-Console` header, which other sites cannot send (CSRF). The routes are
documented in bot/handoff/openapi.yml, served at /console/api/v1/openapi.json.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import yaml
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.handoff import runtime
from bot.handoff.agents import Agent, check_password, hash_password
from bot.handoff.context import context, topic_names, transcript
from bot.handoff.conversations import Conversations
from bot.handoff.tickets import MAX_TEXT, TicketError

logger = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "console" / "static"
ASSETS = {"console.js": "text/javascript", "console.css": "text/css"}
SPEC = Path(__file__).parent / "openapi.yml"
COOKIE = "relay_console"
CSRF_HEADER = "X-Relay-Console"
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
# Compared against when the username is unknown, so timing does not reveal usernames.
DUMMY_HASH = hash_password("relay-no-such-agent")

Handler = Callable[..., Awaitable[HTTPResponse]]


def error(status: int, message: str) -> HTTPResponse:
    return response.json({"error": message}, status=status, headers=SECURITY_HEADERS)


def ok(body: dict[str, Any]) -> HTTPResponse:
    return response.json(body, headers=SECURITY_HEADERS)


def _token(request: Request) -> tuple[str | None, bool]:
    """The session token, and whether it came from the cookie."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header.removeprefix("Bearer ").strip(), False
    return request.cookies.get(COOKIE), True


def signed_in(handler: Handler) -> Handler:
    """Runs `handler(request, agent, ...)` for a signed-in agent; 401/403 otherwise."""

    @functools.wraps(handler)
    async def wrapped(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
        token, from_cookie = _token(request)
        username = runtime.tokens().username(token)
        agent = runtime.agents().get(username) if username else None
        if agent is None:
            return error(401, "Sign in first")
        if request.method != "GET" and from_cookie and not request.headers.get(CSRF_HEADER):
            return error(403, f"Missing {CSRF_HEADER} header")
        runtime.store().touch_agent(agent.username)
        try:
            return await handler(request, agent, *args, **kwargs)
        except TicketError as failure:
            return error(failure.status, failure.message)

    return wrapped


def present(ticket: dict[str, Any], agents: dict[str, Agent] | None = None) -> dict[str, Any]:
    """A ticket as the API shows it: agents with their names, reasons with their labels."""
    agents = runtime.agents() if agents is None else agents
    rules = runtime.rules()

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


def _text(request: Request, key: str = "text") -> str:
    body = request.json if isinstance(request.json, dict) else {}
    value = body.get(key)
    if not isinstance(value, str) or not value.strip():
        raise TicketError(400, f"`{key}` must be a non-empty string")
    if len(value) > MAX_TEXT:
        raise TicketError(413, f"`{key}` is longer than {MAX_TEXT} characters")
    return value.strip()


class Console:
    """The operations behind the routes, on tickets and their conversations."""

    def __init__(self, request: Request) -> None:
        self.conversations = Conversations(request.app)
        self.domain = request.app.ctx.agent.domain
        self.store = runtime.store()

    async def refreshed(self, ticket_id: int) -> dict[str, Any]:
        """The ticket, its transcript and context brought up to date while it is open."""
        ticket = self.store.get(ticket_id)
        if ticket["status"] in ("waiting", "assigned"):
            await self.snapshot(ticket)
            ticket = self.store.get(ticket_id)
        return ticket

    async def snapshot(self, ticket: dict[str, Any]) -> None:
        events = await self.conversations.events(ticket["conversation_id"])
        if events:
            topics = topic_names(self.domain.responses)
            self.store.update_transcript(ticket["id"], transcript(events), context(events, topics))

    async def claim(self, ticket_id: int, agent: Agent) -> dict[str, Any]:
        before = self.store.get(ticket_id)
        ticket = self.store.claim(ticket_id, agent.username)
        conversation = ticket["conversation_id"]
        await self.conversations.set_paused(conversation, True)
        if before["assignee"] != agent.username:
            await self.conversations.utter(conversation, "utter_agent_joined", agent=agent.name)
        runtime.webhook().send("ticket.claimed", ticket)
        return await self.refreshed(ticket_id)

    async def reply(self, ticket_id: int, agent: Agent, text: str) -> dict[str, Any]:
        ticket = self.store.check_owner(ticket_id, agent.username)
        await self.conversations.say_as_agent(ticket["conversation_id"], text, agent.public())
        self.store.replied(ticket_id, agent.username, text)
        return await self.refreshed(ticket_id)

    async def close(self, ticket_id: int, agent: Agent, status: str) -> dict[str, Any]:
        ticket = self.store.check_owner(ticket_id, agent.username)
        await self.snapshot(ticket)
        closed = self.store.close(ticket_id, agent.username, status)
        conversation = ticket["conversation_id"]
        await self.conversations.set_paused(conversation, False)
        if status == "resolved":
            await self.conversations.run_actions(
                conversation, "action_handoff_resolved", "csat_form"
            )
        else:
            await self.conversations.utter(conversation, "utter_handoff_returned")
        runtime.webhook().send(f"ticket.{status}", closed)
        return self.store.get(ticket_id)


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
            body = request.json if isinstance(request.json, dict) else {}
            username, password = str(body.get("username") or ""), str(body.get("password") or "")
            throttle = runtime.throttle()
            if throttle.blocked(username):
                return error(429, "Too many failed sign-ins; try again in a few minutes")
            agent = runtime.agents().get(username)
            valid = check_password(password, agent.password_hash if agent else DUMMY_HASH)
            if agent is None or not valid:
                throttle.failed(username)
                return error(401, "Wrong username or password")
            throttle.succeeded(username)
            token = runtime.tokens().issue(agent.username)
            runtime.store().touch_agent(agent.username)
            reply = ok({"agent": agent.public(), "token": token})
            reply.cookies[COOKIE] = token
            reply.cookies[COOKIE]["httponly"] = True
            reply.cookies[COOKIE]["samesite"] = "Strict"
            reply.cookies[COOKIE]["path"] = "/console"
            return reply

        @console.route(f"{api}/logout", methods=["POST"])
        @signed_in
        async def logout(request: Request, agent: Agent) -> HTTPResponse:
            runtime.store().sign_out(agent.username)
            reply = ok({"signed_out": True})
            reply.cookies[COOKIE] = ""
            reply.cookies[COOKIE]["max-age"] = 0
            reply.cookies[COOKIE]["path"] = "/console"
            return reply

        @console.route(f"{api}/me", methods=["GET"])
        @signed_in
        async def me(request: Request, agent: Agent) -> HTTPResponse:
            return ok({"agent": agent.public()})

        @console.route(f"{api}/agents", methods=["GET"])
        @signed_in
        async def agents(request: Request, agent: Agent) -> HTTPResponse:
            rules = runtime.rules()
            online = set(runtime.store().online_agents(rules.agent_online_seconds))
            return ok(
                {
                    "agents": [
                        {**other.public(), "online": other.username in online}
                        for other in runtime.agents().values()
                    ]
                }
            )

        @console.route(f"{api}/tickets", methods=["GET"])
        @signed_in
        async def tickets(request: Request, agent: Agent) -> HTTPResponse:
            status = request.args.get("status", "open")
            if status not in ("open", "all"):
                return error(400, "status is open or all")
            known = runtime.agents()
            return ok({"tickets": [present(t, known) for t in runtime.store().queue(status)]})

        @console.route(f"{api}/tickets/<ticket_id:int>", methods=["GET"])
        @signed_in
        async def ticket(request: Request, agent: Agent, ticket_id: int) -> HTTPResponse:
            return ok({"ticket": present(await Console(request).refreshed(ticket_id))})

        @console.route(f"{api}/tickets/<ticket_id:int>/claim", methods=["POST"])
        @signed_in
        async def claim(request: Request, agent: Agent, ticket_id: int) -> HTTPResponse:
            return ok({"ticket": present(await Console(request).claim(ticket_id, agent))})

        @console.route(f"{api}/tickets/<ticket_id:int>/reply", methods=["POST"])
        @signed_in
        async def reply(request: Request, agent: Agent, ticket_id: int) -> HTTPResponse:
            text = _text(request)
            return ok({"ticket": present(await Console(request).reply(ticket_id, agent, text))})

        @console.route(f"{api}/tickets/<ticket_id:int>/note", methods=["POST"])
        @signed_in
        async def note(request: Request, agent: Agent, ticket_id: int) -> HTTPResponse:
            ticket = runtime.store().note(ticket_id, agent.username, _text(request))
            return ok({"ticket": present(ticket)})

        @console.route(f"{api}/tickets/<ticket_id:int>/transfer", methods=["POST"])
        @signed_in
        async def transfer(request: Request, agent: Agent, ticket_id: int) -> HTTPResponse:
            to = _text(request, "to")
            if to not in runtime.agents():
                return error(400, f"No agent called {to!r}")
            ticket = runtime.store().transfer(ticket_id, agent.username, to)
            runtime.webhook().send("ticket.transferred", ticket)
            return ok({"ticket": present(ticket)})

        @console.route(f"{api}/tickets/<ticket_id:int>/resolve", methods=["POST"])
        @signed_in
        async def resolve(request: Request, agent: Agent, ticket_id: int) -> HTTPResponse:
            ticket = await Console(request).close(ticket_id, agent, "resolved")
            return ok({"ticket": present(ticket)})

        @console.route(f"{api}/tickets/<ticket_id:int>/return", methods=["POST"])
        @signed_in
        async def hand_back(request: Request, agent: Agent, ticket_id: int) -> HTTPResponse:
            ticket = await Console(request).close(ticket_id, agent, "returned_to_bot")
            return ok({"ticket": present(ticket)})

        return console
