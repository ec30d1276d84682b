"""Who may use the console's API: sessions, cookies, and the checks on each route.

Every route but sign-in needs a valid session (cookie or `Authorization: Bearer`;
bot/handoff/auth.py); cookie-authenticated writes also need the `X-Relay-Console`
header, which other sites cannot send (CSRF). Agents open any ticket but a colleague's
case in progress; admins everything. The sessions and the agents file are read in a
worker thread.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any

from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.exc import SQLAlchemyError

from bot.channels.inbound import bearer, credential
from bot.console.conversations import NotDelivered
from bot.console.responses import (
    ADMINS_ONLY,
    SIGN_IN_FIRST,
    UNAVAILABLE,
    Handler,
    error,
    refusal,
)
from bot.handoff.agents import Agent
from bot.handoff.tickets import TicketError, TicketStore
from bot.handoff.views import TicketDetail
from bot.ops.conversation_store import ConversationStoreDown
from bot.services import Services, of_app

logger = logging.getLogger(__name__)

COOKIE = "relay_console"
DEVICE_COOKIE = "relay_console_device"
CSRF_HEADER = "X-Relay-Console"


def session_token(request: Request) -> tuple[str | None, bool]:
    """The session token, and whether it came from the cookie (None for a missing or
    non-ASCII one, which no session has: bot/channels/inbound.py)."""
    token = bearer(request.headers.get("Authorization"))
    if token is not None:
        return token, False
    return credential(request.cookies.get(COOKIE)), True


def client_address(request: Request) -> str:
    """The caller's address (the proxy's setting decides whether forwarded headers count)."""
    return str(request.remote_addr or request.ip or "unknown")


def _secure(request: Request) -> bool:
    return request.scheme == "https" or of_app(request.app).settings.secure_cookies


def set_cookie(reply: HTTPResponse, request: Request, name: str, value: str, **extra: Any) -> None:
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
        token, from_cookie = session_token(request)
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
