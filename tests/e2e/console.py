"""A client of the agent console's JSON API for end-to-end tests, plus agents to sign in as."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.handoff.agents import add_agent
from tests.e2e.servers import Relay, http

AGENTS = {
    "alice": ("Alice Moreau", "alice-secret-pw"),
    "bob": ("Bob Okafor", "bob-secret-pw-2"),
}


def create_agents(data_dir: Path) -> None:
    """Writes the agents file Relay reads by default (RELAY_DATA_DIR/agents.yml)."""
    for username, (name, password) in AGENTS.items():
        add_agent(data_dir / "agents.yml", username, name, password)


@dataclass
class ConsoleClient:
    relay: Relay
    token: str = ""

    @property
    def api(self) -> str:
        return f"{self.relay.url}/console/api/v1"

    def login(self, username: str) -> ConsoleClient:
        status, body = http(
            "POST",
            f"{self.api}/login",
            {"username": username, "password": AGENTS[username][1]},
        )
        assert status == 200, body
        self.token = body["token"]
        return self

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        return http(
            method, f"{self.api}{path}", body, headers={"Authorization": f"Bearer {self.token}"}
        )

    def ok(self, method: str, path: str, body: Any = None) -> Any:
        status, reply = self.call(method, path, body)
        assert status == 200, (status, reply)
        return reply

    def queue(self, status: str = "open") -> list[dict[str, Any]]:
        return self.ok("GET", f"/tickets?status={status}")["tickets"]

    def ticket_for(self, conversation_id: str) -> dict[str, Any]:
        [ticket] = [t for t in self.queue("all") if t["conversation_id"] == conversation_id][:1]
        return self.ok("GET", f"/tickets/{ticket['id']}")["ticket"]

    def act(self, ticket_id: int, action: str, body: Any = None) -> dict[str, Any]:
        return self.ok("POST", f"/tickets/{ticket_id}/{action}", body or {})["ticket"]


def pushed(relay: Relay, sender: str, after: int = 0) -> list[dict[str, Any]]:
    """What was sent to a REST customer out of turn (an agent's words, the CSAT question)."""
    status, body = http(
        "GET",
        f"{relay.url}/webhooks/rest/messages?sender={sender}&after={after}",
        headers=relay.rest_headers,
    )
    assert status == 200, body
    return body["messages"]
