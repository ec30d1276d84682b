"""The two stacks a bench measures: Relay as it ships, and a plain Rasa bot beside it.

Both are the soak's `Stack` (bot/tools/soak/stack.py): an action server and a Rasa
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

from bot.settings import ROOT
from bot.tools.services import rasa_bin
from bot.tools.soak.stack import ACTIONS, Stack

RELAY = "relay"
BASELINE = "baseline"
STACKS = (RELAY, BASELINE)
REST_PATH = "/webhooks/rest/webhook"
HEALTH_PATH = "/webhooks/rest/"
BASELINE_CREDENTIALS = "rest:\n"
BASELINE_SENDER_PREFIX = "rest-"


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
