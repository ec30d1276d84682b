"""The soak's agent: signs in to the console's API and works the queue.

Every second or two the agent reads the open tickets; each waiting one is claimed,
answered with a reply naming the ticket (so the soak can find it in the customer's
outbox) and resolved a few seconds later, which brings the bot back with its
satisfaction survey. A call that gets no answer or a 503 is made again after a
backoff; before sending a reply again, the agent reads the ticket to see whether
the first one went through (as a person at the console would), so a lost answer
doesn't become a duplicate reply. The agent finishes when told to and no ticket
is left open.
"""

from __future__ import annotations

import asyncio
from typing import Any

from bot.tools.soak.context import Load
from bot.tools.soak.http import Answer, Backoff, request
from bot.tools.soak.journal import AGENT, AgentReply, outcome_of

API = "/console/api/v1"
QUEUE_SECONDS = 1.5
READ_SECONDS = (0.5, 2.0)  # reading the case before answering
HOLD_SECONDS = (3.0, 5.0)  # after replying, before resolving
REPLY = "Hello, this is {name} from the team. I've checked your case (ticket {ticket}) for you."
GONE = 409  # the ticket was closed or taken meanwhile


class Agent:
    """One agent at the console (see the module docstring)."""

    def __init__(self, load: Load, name: str = "Sam") -> None:
        self._load = load
        self.name = name
        self.token: str | None = None
        self.working: dict[int, asyncio.Task[None]] = {}
        self.handled: set[int] = set()  # never twice, even if it failed
        self._finishing = False

    def finish(self) -> None:
        """Stop when the queue is empty."""
        self._finishing = True

    async def run(self) -> None:
        await self.sign_in()
        while True:
            tickets = await self.open_tickets()
            for ticket in tickets:
                ticket_id = int(ticket["id"])
                if ticket_id not in self.handled and self._mine_to_do(ticket):
                    self.handled.add(ticket_id)
                    self.working[ticket_id] = asyncio.create_task(self.handle(ticket))
            for ticket_id, task in list(self.working.items()):
                if task.done():
                    del self.working[ticket_id]
                    if task.exception() is not None:
                        self._load.journal.error(f"agent: ticket {ticket_id}: {task.exception()!r}")
            left = [t for t in tickets if int(t["id"]) not in self.handled]
            if self._finishing and not self.working and (not left or self._load.giving_up()):
                return
            await self._load.wait(QUEUE_SECONDS)

    def _mine_to_do(self, ticket: dict[str, Any]) -> bool:
        assignee = ticket.get("assignee") or {}
        return ticket.get("status") == "waiting" or (
            ticket.get("status") == "assigned"
            and assignee.get("username") == self._load.target.agent_username
        )

    async def sign_in(self) -> None:
        backoff = Backoff(rng=self._load.rng)
        target = self._load.target
        while True:
            answer = await request(
                self._load.session,
                "POST",
                f"{target.url}{API}/login",
                body={"username": target.agent_username, "password": target.agent_password},
            )
            token = answer.json_object.get("token")
            if answer.status == 200 and isinstance(token, str):
                self.token = token
                return
            self._note(answer, "sign-in")
            if self._load.giving_up():
                raise RuntimeError(f"the agent could not sign in: {answer.status} {answer.body}")
            await self._load.wait(backoff.pause())

    def _note(self, answer: Answer, what: str) -> None:
        """Records a console call that failed (a retry, or an error when unexpected)."""
        outcome = outcome_of(answer.status, ["-"])
        detail = answer.failure or str(answer.body)[:200]
        self._load.journal.exchange(AGENT, "-", self._load.journal.now(), answer.status, outcome)
        if answer.status is not None and answer.status >= 500 and answer.status != 503:
            self._load.journal.error(f"agent: {what}: HTTP {answer.status}: {detail}")

    async def call(self, method: str, path: str, body: Any = None) -> Answer:
        """A console API call, made again on no answer or a 503 until the soak gives up."""
        backoff = Backoff(rng=self._load.rng)
        while True:
            answer = await request(
                self._load.session,
                method,
                f"{self._load.target.url}{API}{path}",
                body=body,
                headers={"Authorization": f"Bearer {self.token}"},
            )
            if answer.status == 401:
                await self.sign_in()
                continue
            if answer.status is not None and answer.status != 503:
                if answer.status >= 500:
                    self._note(answer, f"{method} {path}")
                return answer
            self._note(answer, f"{method} {path}")
            if self._load.giving_up():
                return answer
            await self._load.wait(backoff.pause())

    async def open_tickets(self) -> list[dict[str, Any]]:
        answer = await self.call("GET", "/tickets?status=open")
        tickets = answer.json_object.get("tickets") if answer.status == 200 else None
        return [t for t in tickets or [] if isinstance(t, dict)]

    async def ticket(self, ticket_id: int) -> dict[str, Any]:
        answer = await self.call("GET", f"/tickets/{ticket_id}")
        found = answer.json_object.get("ticket") if answer.status == 200 else None
        return found if isinstance(found, dict) else {}

    async def handle(self, ticket: dict[str, Any]) -> None:
        """Claims, answers and resolves one ticket."""
        ticket_id = int(ticket["id"])
        conversation = str(ticket["conversation_id"])
        if ticket.get("status") == "waiting":
            claimed = await self.call("POST", f"/tickets/{ticket_id}/claim", {})
            if claimed.status == GONE:
                return  # withdrawn by the customer, or resolved meanwhile
            if claimed.status != 200:
                self._load.journal.error(f"agent: claim {ticket_id}: {claimed.status}")
                return
        await self._load.pause(*READ_SECONDS)
        text = REPLY.format(name=self.name, ticket=ticket_id)
        if not await self.reply(ticket_id, conversation, text):
            return
        await self._load.pause(*HOLD_SECONDS)
        resolved = await self.call("POST", f"/tickets/{ticket_id}/resolve", {})
        if resolved.status not in (200, GONE):
            self._load.journal.error(f"agent: resolve {ticket_id}: {resolved.status}")

    async def reply(self, ticket_id: int, conversation: str, text: str) -> bool:
        """Sends `text` once: after a failed attempt, checks the transcript before resending."""
        sent_at = self._load.journal.now()
        backoff = Backoff(rng=self._load.rng)
        attempts = 0
        while True:
            attempts += 1
            answer = await request(
                self._load.session,
                "POST",
                f"{self._load.target.url}{API}/tickets/{ticket_id}/reply",
                body={"text": text},
                headers={"Authorization": f"Bearer {self.token}"},
            )
            if answer.status == 200:
                break
            if answer.status == 401:
                await self.sign_in()
            elif answer.status not in (None, 503):
                self._note(answer, f"reply {ticket_id}")
                self._load.journal.error(
                    f"agent: reply to ticket {ticket_id}: {answer.status} {str(answer.body)[:200]}"
                )
                return False
            else:
                self._note(answer, f"reply {ticket_id}")
            if self._load.giving_up():
                self._load.journal.error(f"agent: gave up replying to ticket {ticket_id}")
                return False
            await self._load.wait(backoff.pause())
            if text in _agent_words(await self.ticket(ticket_id)):
                break  # the earlier attempt went through
        self._load.journal.agent_replies.append(
            AgentReply(ticket_id, conversation, text, sent_at, attempts)
        )
        return True


def _agent_words(ticket: dict[str, Any]) -> list[str]:
    return [
        str(turn.get("text"))
        for turn in ticket.get("transcript") or []
        if isinstance(turn, dict) and turn.get("speaker") == "agent"
    ]
