"""The bench's third stack: Relay's scaled profile, two Rasa replicas behind nginx.

`ScaledBenchStack` is the scaled profile of `make run-scaled` (bot/tools/scaled/stack.py:
PostgreSQL, Redis, one action server, the replicas and nginx, on free loopback ports)
with what the bench's other stacks have: the REST channel behind a backend token
(senders are anonymous visitors, flood limits count each sender), Telegram off and the
shop's clock on a weekday morning. Clients call nginx. A replica's memory is
`rasa-<n>`'s; the bench also counts their sum (bot/tools/bench/memory.py).

Its data directory must be one PostgreSQL can reach: as root the server runs as
Debian's `postgres` user, so it is made 0711 (pass-through only) and its parent too
must let others pass. The conversations' ids are `scaled-` and the customer's, so no
log or database holds one stack's conversation under another's id.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from bot.tools.bench.stacks import SCALED
from bot.tools.scaled.servers import ServerFailed, ServerMissing
from bot.tools.scaled.stack import ScaledPorts, ScaledStack
from bot.tools.services import CHANNEL_VARIABLES
from bot.tools.soak.stack import SHOP_NOW, StackError

REPLICAS = 2
SENDER_PREFIX = "scaled-"
PASSABLE = 0o711
ACTIONS = "actions"
REPLICA_NAME = "rasa-{number}"
# nginx's `$upstream_addr`: "127.0.0.1:5011", or "127.0.0.1:5011, 127.0.0.1:5012" when
# the first refused and the second answered.
UPSTREAM = re.compile(r"upstream=(?P<addresses>[^\s,]+(?:, [^\s,]+)*)")
CHANNEL_REQUEST = '"POST /webhooks/rest/webhook '  # what the customers send, not /ready
TAIL_LINES = 30


def replica_name(index: int) -> str:
    """`rasa-1` for the first replica (memory.py sums `rasa-<n>` as `rasa`)."""
    return REPLICA_NAME.format(number=index + 1)


def served_by(access_log: str, replicas: tuple[int, ...]) -> dict[str, int]:
    """How many of the customers' messages nginx's access log says each replica served
    (by `rasa-<n>`).

    A request that nginx passed on after a replica refused it names both addresses:
    only the last, the one that answered, counts.
    """
    counts = {replica_name(index): 0 for index in range(len(replicas))}
    names = {port: replica_name(index) for index, port in enumerate(replicas)}
    for line in access_log.splitlines():
        found = UPSTREAM.search(line) if CHANNEL_REQUEST in line else None
        if found is None:
            continue
        port = found["addresses"].split(", ")[-1].rpartition(":")[2]
        if port.isdigit() and int(port) in names:
            counts[names[int(port)]] += 1
    return counts


@dataclass
class ScaledBenchStack:
    """The scaled profile as a bench stack (see the module docstring).

    Args:
        data_dir: Its own directory, made 0711 (PostgreSQL's cluster, logs, secrets).
        model: The model archive every replica loads (Relay's).
        replicas: How many Rasa servers nginx spreads the conversations over.
    """

    data_dir: Path
    model: Path
    replicas: int = REPLICAS
    name: str = SCALED
    api_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    rest_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    stack: ScaledStack = field(init=False)

    def __post_init__(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir.chmod(PASSABLE)
        self.stack = ScaledStack(
            self.data_dir,
            self.model,
            ScaledPorts.free(self.replicas),
            extra=self.extra(),
            logs=True,
        )

    def extra(self) -> dict[str, str]:
        """The environment the bench adds to the profile's (the same as the embedded Relay's)."""
        return {
            **dict.fromkeys(CHANNEL_VARIABLES, ""),  # Telegram off
            "RELAY_API_TOKEN": self.api_token,
            "RELAY_REST_TOKEN": self.rest_token,
            "RELAY_REST_SENDERS_ARE_CUSTOMERS": "",  # conversations are rest-<sender>
            "RELAY_NOW": SHOP_NOW,
            "RELAY_WEBHOOK_URL": "",
        }

    @property
    def url(self) -> str:
        """nginx, the one address clients use."""
        return self.stack.url

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.rest_token}"}

    def sender(self, customer: str) -> str:
        return SENDER_PREFIX + customer

    async def start(self) -> float:
        """Starts PostgreSQL, Redis, the action server, the replicas and nginx, and waits
        until every replica and nginx answer `/ready`; returns the seconds that took.

        Raises:
            StackError: A server is not installed, did not start, or was not ready in time.
        """
        started = time.monotonic()
        try:
            await asyncio.to_thread(self.stack.start)
            await asyncio.to_thread(self.stack.wait_ready)
        except (ServerMissing, ServerFailed, TimeoutError) as error:
            raise StackError(f"the scaled profile did not start: {error}\n{self.tail()}") from error
        return time.monotonic() - started

    def stop(self) -> None:
        self.stack.stop()

    def _servers(self) -> list[tuple[str, subprocess.Popen[bytes] | None]]:
        """Every process, by the name its memory is counted under (None: not started)."""
        children = self.stack.supervisor.children  # the action server, then the replicas
        found = [
            (ACTIONS if index == 0 else replica_name(index - 1), child.process)
            for index, child in enumerate(children)
        ]
        found += [
            ("nginx", self.stack.nginx.process),
            ("postgres", self.stack.postgres.process),
            ("redis", self.stack.redis.process),
        ]
        return found

    def roots(self) -> list[tuple[str, int]]:
        return [
            (name, process.pid)
            for name, process in self._servers()
            if process is not None and process.poll() is None
        ]

    def exited(self) -> list[str]:
        """The servers that stopped (the bench does not restart them: it would measure fewer)."""
        servers = self._servers()
        return [name for name, process in servers if process is None or process.poll() is not None]

    def logs(self) -> dict[str, Path]:
        logs = {ACTIONS: self.data_dir / f"{ACTIONS}.log"}
        for index in range(self.replicas):
            logs[replica_name(index)] = self.data_dir / f"{replica_name(index)}.log"
        logs["nginx-error"] = self.stack.nginx.directory / "error.log"
        logs["postgres"] = self.stack.postgres.directory / "postgres.log"
        return logs

    def served(self) -> dict[str, int]:
        """Requests per replica so far (nginx's access log)."""
        log = self.stack.nginx.access_log
        text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
        return served_by(text, self.stack.ports.replicas)

    def tail(self, lines: int = TAIL_LINES) -> str:
        """The last lines of each log there is."""
        parts = []
        for path in self.logs().values():
            if path.exists():
                text = path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
                parts.append(f"--- {path.name}\n" + "\n".join(text))
        return "\n".join(parts)
