"""bot/tools/soak/agent.py: the agent works the queue through a stand-in console API,
signs in again when its session is gone, and never sends a reply twice."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from aiohttp import web

from bot.tools.soak.agent import REPLY, Agent
from bot.tools.soak.context import Target
from tests.support.soak import InstantLoad, serving


class Console:
    """The console API, as far as the agent uses it, with one ticket waiting."""

    def __init__(self) -> None:
        self.status = "waiting"
        self.transcript: list[dict[str, str]] = []
        self.calls: list[str] = []
        self.sessions = 0
        self.lose_first_reply_answer = True
        self.expire_session_once = True

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/console/api/v1/login", self.login)
        app.router.add_route("*", "/console/api/v1/tickets{tail:.*}", self.tickets)
        return app

    def ticket(self) -> dict[str, Any]:
        return {
            "id": 7,
            "conversation_id": "site-c",
            "status": self.status,
            "assignee": {"username": "sam"} if self.status == "assigned" else None,
            "transcript": self.transcript,
        }

    async def login(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body != {"username": "sam", "password": "pw"}:
            return web.json_response({"error": "wrong"}, status=401)
        self.sessions += 1
        return web.json_response({"token": f"session-{self.sessions}"})

    async def tickets(self, request: web.Request) -> web.Response:
        self.calls.append(f"{request.method} {request.path_qs}")
        if request.headers.get("Authorization") != f"Bearer session-{self.sessions}":
            return web.json_response({"error": "Sign in first"}, status=401)
        tail = request.match_info["tail"]
        if tail == "" and self.expire_session_once:
            self.expire_session_once = False
            self.sessions += 1  # e.g. a password reset: every session ends
            return web.json_response({"error": "Sign in first"}, status=401)
        if tail == "":
            open_ = [self.ticket()] if self.status in ("waiting", "assigned") else []
            return web.json_response({"tickets": open_})
        if tail == "/7":
            return web.json_response({"ticket": self.ticket()})
        if tail == "/7/claim":
            self.status = "assigned"
        elif tail == "/7/reply":
            text = (await request.json())["text"]
            self.transcript.append({"speaker": "agent", "text": text})
            if self.lose_first_reply_answer:
                self.lose_first_reply_answer = False
                return web.json_response({"error": "unavailable"}, status=503)
        elif tail == "/7/resolve":
            self.status = "resolved"
        return web.json_response({"ticket": self.ticket()})


def test_the_agent_claims_replies_once_and_resolves() -> None:
    console = Console()

    async def scenario() -> InstantLoad:
        async with serving(console.app()) as url, aiohttp.ClientSession() as session:
            load = InstantLoad(Target(url, "rest", "sam", "pw"), session)
            agent = Agent(load)
            agent.finish()  # work the queue until it is empty
            await asyncio.wait_for(agent.run(), 30)
            return load

    load = asyncio.run(scenario())
    text = REPLY.format(name="Sam", ticket=7)
    assert console.status == "resolved"
    assert console.transcript == [{"speaker": "agent", "text": text}]  # not sent twice
    [reply] = load.journal.agent_replies
    assert (reply.ticket, reply.conversation, reply.text, reply.attempts) == (7, "site-c", text, 1)
    assert console.sessions == 3  # signed in, session ended, signed in again
    assert "GET /console/api/v1/tickets/7" in console.calls  # read before resending
    assert load.journal.errors == []
