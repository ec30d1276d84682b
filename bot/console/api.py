"""The agent console and its JSON API, served by the Rasa server under /console/.

Registered in credentials.yml like a channel (that is how Rasa mounts routes), it
receives no customer messages itself. Who may call what is bot/console/access.py, what
the ticket routes do bot/console/operations.py, how refusals become statuses
bot/console/responses.py. Agents work the queue: they open any ticket but a colleague's
case in progress, and take a colleague's ticket only when it is transferred to them;
admins also manage the agents, take over or close any ticket, and see them all. The
routes are documented in bot/console/openapi.yml, served at /console/api/v1/openapi.json.

The stores are blocking (SQLAlchemy, the agents file): every call to them runs in a
worker thread (`asyncio.to_thread`), so the console's polling and a slow database
never hold up the event loop that also serves the customers' channels.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import yaml
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.exc import SQLAlchemyError

from bot.channels.inbound import clean_text
from bot.console.access import (
    COOKIE,
    DEVICE_COOKIE,
    admin_only,
    client_address,
    may_open,
    session_token,
    set_cookie,
    signed_in,
)
from bot.console.operations import Console, present, shown, text_from
from bot.console.responses import (
    NOT_YOURS,
    SECURITY_HEADERS,
    TOO_MANY,
    UNAVAILABLE,
    WRONG_PASSWORD,
    error,
    ok,
)
from bot.handoff.agents import ROLES, Agent, AgentsError, add_agent, remove_agent
from bot.services import of_app

logger = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
ASSETS = {"console.js": "text/javascript", "console.css": "text/css"}
SPEC = Path(__file__).parent / "openapi.yml"
MAX_USERNAME = 64
MAX_PASSWORD = 1024


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
            client = client_address(request)
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
            set_cookie(reply, request, COOKIE, token)
            device = services.devices.issue(agent.username)
            set_cookie(
                reply, request, DEVICE_COOKIE, device, path=f"/console{api}/login", max_age=31536000
            )
            return reply

        @console.route(f"{api}/logout", methods=["POST"])
        @signed_in
        async def logout(request: Request, agent: Agent) -> HTTPResponse:
            services = of_app(request.app)
            await asyncio.to_thread(services.sessions.revoke, session_token(request)[0])
            await asyncio.to_thread(services.tickets.sign_out, agent.username)
            reply = ok({"signed_out": True})
            set_cookie(reply, request, COOKIE, "", max_age=0)
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
            text = text_from(request)
            console = Console(request)
            ticket = await console.reply(ticket_id, agent, text)
            return ok({"ticket": await shown(console.services, ticket)})

        @console.route(f"{api}/tickets/<ticket_id:int>/note", methods=["POST"])
        @signed_in
        async def note(request: Request, agent: Agent, ticket_id: int) -> HTTPResponse:
            services = of_app(request.app)
            text = text_from(request)
            found = await asyncio.to_thread(services.tickets.get, ticket_id)
            if not may_open(services.tickets, found, agent):
                return error(403, NOT_YOURS)
            noted = await asyncio.to_thread(services.tickets.note, ticket_id, agent.username, text)
            return ok({"ticket": await shown(services, noted)})

        @console.route(f"{api}/tickets/<ticket_id:int>/transfer", methods=["POST"])
        @signed_in
        async def transfer(request: Request, agent: Agent, ticket_id: int) -> HTTPResponse:
            services = of_app(request.app)
            to = text_from(request, "to")
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
