"""Health and readiness of the Rasa server: `GET /health` and `GET /ready`.

- `/health` answers 200 as long as the process serves requests (for a supervisor
  deciding whether to restart it).
- `/ready` answers 200 only when Relay can serve customers: the model is loaded, the
  conversation store and the ticket database answer, and the action server is up;
  otherwise 503 with what is wrong (for a load balancer deciding where to send
  traffic). Each check has a short timeout, so a stuck database can't stall it.

Registered in credentials.yml like a channel (that is how Rasa mounts routes); the
action server has its own (bot/tools/action_server.py). No secrets or customer data
are in the answers, so they need no credential.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.services import of_app

logger = logging.getLogger(__name__)

CHECK_SECONDS = 3.0
PROBE_CONVERSATION = "relay-readiness-probe"


async def _timed(check: Awaitable[Any]) -> str:
    """'ok', or why the check failed (within CHECK_SECONDS)."""
    try:
        await asyncio.wait_for(check, CHECK_SECONDS)
    except asyncio.TimeoutError:
        return f"no answer within {CHECK_SECONDS:g} s"
    except Exception as error:  # each failure is a reason, never a crash
        return f"{type(error).__name__}: {str(error)[:200]}"
    return "ok"


async def _action_server(agent: Any) -> None:
    endpoint = getattr(agent, "action_endpoint", None)
    if endpoint is None or not endpoint.url:
        raise RuntimeError("no action endpoint configured")
    url = endpoint.url.rsplit("/", 1)[0] + "/health"
    timeout = aiohttp.ClientTimeout(total=CHECK_SECONDS)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        async with session.get(url) as answer:
            if answer.status != 200:
                raise RuntimeError(f"it answered {answer.status}")


async def readiness(app: Any) -> dict[str, str]:
    """Each dependency's state: 'ok' or what is wrong."""
    agent = getattr(app.ctx, "agent", None)
    if agent is None or not agent.is_ready():
        return {"model": "not loaded yet"}
    checks = {
        "model": asyncio.sleep(0),
        "conversations": agent.tracker_store.retrieve(PROBE_CONVERSATION),
        "tickets": asyncio.to_thread(of_app(app).tickets.ping),
        "action_server": _action_server(agent),
    }
    results = await asyncio.gather(*(_timed(check) for check in checks.values()))
    return dict(zip(checks, results, strict=True))


class HealthChannel(InputChannel):
    """Mounts /health and /ready at the server's root."""

    @classmethod
    def name(cls) -> str:
        return "relay_health"

    def url_prefix(self) -> str:
        return "/"  # Rasa joins it to /webhooks/: "/" is the server's root

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        health = Blueprint("relay_health", __name__)

        @health.route("/health", methods=["GET"])
        async def alive(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @health.route("/ready", methods=["GET"])
        async def ready(request: Request) -> HTTPResponse:
            checks = await readiness(request.app)
            up = all(state == "ok" for state in checks.values()) and "conversations" in checks
            if not up:
                logger.warning("not ready: %s", checks)
            return response.json({"ready": up, "checks": checks}, 200 if up else 503)

        return health
