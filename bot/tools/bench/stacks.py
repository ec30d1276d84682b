"""The stacks a bench measures: Relay as it ships, a plain Rasa bot beside it, and Relay's
scaled profile (bot/tools/bench/scaled.py), all seen by the bench as a `BenchStack`.

The first two are the soak's `Stack` (bot/tools/soak/stack.py): an action server and a Rasa
server on free loopback ports, with SQLite databases and logs in a data directory of
their own. Each stack has its own action server, running the same `actions` package
with the same domain, so what differs is the Rasa server:

- Relay: `python -m bot.tools.rasa_server` with Relay's model, config and channels
  (credentials.yml). Its REST channel sits behind a backend token, as a shop's backend
  calls it: per-client flood limits then count each sender, not the loopback address
  that every simulated customer shares. Senders are not the shop's customers, so each
  conversation is `rest-<sender>`, an anonymous visitor proving orders by email.
- Baseline: `rasa run` with the baseline model, Rasa's stock REST channel (`rest:`) and
  the same endpoints.yml (action server and SQL tracker store). Its clients send
  `rest-<sender>` as the sender, so the action server sees the same conversation ids.

Ready means the REST channel answers `GET /webhooks/rest/`: Rasa loads the model
before it listens (`before_server_start`), so the channel answering is the bot ready.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from bot.settings import ROOT
from bot.tools.services import rasa_bin
from bot.tools.soak.stack import ACTIONS, SERVERS, Stack

RELAY = "relay"
BASELINE = "baseline"
SCALED = "scaled"
STACKS = (RELAY, BASELINE, SCALED)  # the order of the first level, and of the tables
REST_PATH = "/webhooks/rest/webhook"
HEALTH_PATH = "/webhooks/rest/"
BASELINE_CREDENTIALS = "rest:\n"
BASELINE_SENDER_PREFIX = "rest-"


class BenchStack(Protocol):
    """What the bench needs of a stack: where its REST channel is, how its clients call it,
    which processes' memory counts, and its logs."""

    name: str
    data_dir: Path

    @property
    def url(self) -> str: ...

    @property
    def headers(self) -> dict[str, str]: ...

    def sender(self, customer: str) -> str:
        """What a client sends as `sender` for the conversation `customer`."""

    async def start(self) -> float:
        """Starts everything and waits until it answers; returns the seconds that took.

        Raises:
            StackError: It did not start.
        """

    def stop(self) -> None: ...

    def roots(self) -> list[tuple[str, int]]:
        """(server, pid) of each running process whose tree's memory is the server's."""

    def exited(self) -> list[str]:
        """The servers whose process has exited."""

    def logs(self) -> dict[str, Path]:
        """Each server's log file, by a name for the copy."""


@dataclass
class RelayStack(Stack):
    """Relay with its REST channel behind a backend token, senders anonymous visitors."""

    name: str = RELAY

    def env(self) -> dict[str, str]:
        return {**super().env(), "RELAY_REST_SENDERS_ARE_CUSTOMERS": ""}

    def readiness_url(self, server: str) -> str:
        if server == ACTIONS:
            return super().readiness_url(server)
        return self.url + HEALTH_PATH

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.rest_token}"}

    def sender(self, customer: str) -> str:
        """What a client sends as `sender` for the conversation `customer`."""
        return customer

    def roots(self) -> list[tuple[str, int]]:
        running = self.processes
        return [(server, running[server].pid) for server in SERVERS if server in running]

    def logs(self) -> dict[str, Path]:
        return {server: self.log(server) for server in SERVERS}


@dataclass
class BaselineStack(RelayStack):
    """A plain Rasa server (`rasa run`) with the stock REST channel, the same action server."""

    name: str = BASELINE

    @property
    def credentials(self) -> Path:
        return self.data_dir / "credentials.yml"

    def prepare(self) -> None:
        super().prepare()
        self.credentials.write_text(BASELINE_CREDENTIALS, encoding="utf-8")

    def command(self, server: str) -> list[str]:
        if server == ACTIONS:
            return super().command(server)
        return [
            rasa_bin(),
            "run",
            "--model",
            str(self.model),
            "--endpoints",
            str(ROOT / "endpoints.yml"),
            "--credentials",
            str(self.credentials),
            "--interface",
            "127.0.0.1",
            "--port",
            str(self.ports.rasa),
        ]

    @property
    def headers(self) -> dict[str, str]:
        return {}

    def sender(self, customer: str) -> str:
        return BASELINE_SENDER_PREFIX + customer
