"""The scaled profile: PostgreSQL, Redis, the action server and several Rasa servers
behind nginx, on loopback, started and stopped together.

Every Rasa server (a replica) keeps its conversations in PostgreSQL (Rasa's SQL
tracker store), the shop's data, tickets, sessions and outbox in PostgreSQL too,
and takes each conversation's lock in Redis (bot/ops/redis_lock_store.py), where
the flood limits, sign-in throttling and Telegram's pacing and button payloads are
shared as well (RELAY_REDIS_URL). nginx spreads requests over the replicas
(bot/tools/scaled/nginx.py). The schema is created once before any replica starts,
so replicas never race to create tables. A replica or the action server that dies
is started again (bot/tools/supervisor.py).

`make run-scaled` runs it with fixed ports; the tests and `make bench` with free ones.
"""

from __future__ import annotations

import time
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bot.secret_files import generated_secret
from bot.settings import load_settings
from bot.tools.scaled.nginx import NginxServer
from bot.tools.scaled.servers import PostgresServer, RedisServer
from bot.tools.services import Ports, action_server_command, environment, rasa_server_command
from bot.tools.soak.stack import free_port
from bot.tools.supervisor import Child, Supervisor

LOCK_STORE = "bot.ops.redis_lock_store.RedisLockStore"
START_SECONDS = 300.0  # two replicas load their models at once on two cores
POSTGRES_PASSWORD_FILE = "postgres_password"
# Each replica's SQLAlchemy pools (tracker store, and Relay's shop/tickets engine) stay
# well inside PostgreSQL's connection limit: see docs/deployment.md.
MAX_CONNECTIONS = 100
TRACKER_POOL_SIZE = 5
TRACKER_POOL_OVERFLOW = 10


@dataclass(frozen=True)
class ScaledPorts:
    """Where each part listens on 127.0.0.1; `entry` is nginx, the one address clients use."""

    entry: int = 5005
    replicas: tuple[int, ...] = (5011, 5012)
    actions: int = 5055
    postgres: int = 5433
    redis: int = 6380

    @classmethod
    def free(cls, replicas: int = 2) -> ScaledPorts:
        """Ports nobody listens on at the moment (tests, benchmarks), all different."""
        # free_port() lets each port go at once, so the system may offer one again.
        chosen: list[int] = []
        while len(chosen) < replicas + 4:
            port = free_port()
            if port not in chosen:
                chosen.append(port)
        entry, *replica_ports, actions, postgres, redis = chosen
        return cls(
            entry=entry,
            replicas=tuple(replica_ports),
            actions=actions,
            postgres=postgres,
            redis=redis,
        )


@dataclass
class ScaledStack:
    """A running (or startable) scaled Relay.

    Args:
        data_dir: Secrets, the agents file, logs, and the PostgreSQL cluster and Redis
            files (in `postgres/` and `redis/`).
        model: The trained model archive every replica loads.
        ports: Where everything listens.
        extra: More environment for the Relay processes (tests: tokens, a fixed clock).
        demo_data: Load the demo shop's data into an empty shop database.
        logs: Write each process's output to `data_dir/<name>.log` instead of the terminal.
    """

    data_dir: Path
    model: Path
    ports: ScaledPorts = field(default_factory=ScaledPorts)
    extra: dict[str, str] = field(default_factory=dict)
    demo_data: bool = True
    logs: bool = False
    supervisor: Supervisor = field(default_factory=Supervisor)
    postgres: PostgresServer = field(init=False)
    redis: RedisServer = field(init=False)
    nginx: NginxServer = field(init=False)

    def __post_init__(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        password = generated_secret(self.data_dir / POSTGRES_PASSWORD_FILE).decode()
        self.postgres = PostgresServer(
            self.data_dir / "postgres",
            self.ports.postgres,
            password,
            max_connections=MAX_CONNECTIONS,
        )
        self.redis = RedisServer(self.data_dir / "redis", self.ports.redis)
        self.nginx = NginxServer(self.data_dir / "nginx", self.ports.entry, self.ports.replicas)

    @property
    def url(self) -> str:
        """The entry point (nginx)."""
        return f"http://127.0.0.1:{self.ports.entry}"

    def replica_url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.ports.replicas[index]}"

    def env(self, rasa_port: int | None = None) -> dict[str, str]:
        """The environment of Relay's processes in this profile."""
        postgres = self.postgres
        ports = Ports(rasa=rasa_port or self.ports.replicas[0], actions=self.ports.actions)
        return environment(
            self.data_dir,
            ports,
            {
                "RELAY_SHOP_DB_URL": postgres.url,
                "RELAY_TRACKER_DIALECT": "postgresql",
                "RELAY_TRACKER_HOST": f"127.0.0.1:{postgres.port}",
                "RELAY_TRACKER_DB": postgres.database,
                "RELAY_TRACKER_USER": postgres.user,
                "RELAY_TRACKER_PASSWORD": postgres.password,
                "RELAY_REDIS_URL": self.redis.url,
                "RELAY_LOCK_STORE": LOCK_STORE,
                "RELAY_DEMO_DATA": "no",  # loaded once by prepare(), never by a replica
                "SANIC_PROXIES_COUNT": "1",  # nginx's X-Forwarded-For names the client
                # Rasa's tracker store pools 50 connections (+100 overflow) by default:
                # per replica that alone would pass PostgreSQL's limit (docs/deployment.md).
                "SQL_POOL_SIZE": str(TRACKER_POOL_SIZE),
                "SQL_MAX_OVERFLOW": str(TRACKER_POOL_OVERFLOW),
                **self.extra,
            },
        )

    def prepare(self) -> bool:
        """Creates Relay's and Rasa's tables (and the demo data when asked) before any
        replica starts; returns whether demo data was loaded."""
        from rasa.core.tracker_store import SQLTrackerStore

        from bot.services import Services
        from bot.shop.repository import init_db

        settings = load_settings(self.env())
        services = Services(settings)
        try:
            assert services.tickets is not None  # creates the handoff tables
            today = datetime.now(services.facts.timezone).date()
            loaded = init_db(services.engine, today, demo=self.demo_data)
        finally:
            services.engine.dispose()
        tracker = SQLTrackerStore(
            dialect="postgresql",
            host="127.0.0.1",
            port=self.postgres.port,
            db=self.postgres.database,
            username=self.postgres.user,
            password=self.postgres.password,
        )
        tracker.engine.dispose()
        return loaded

    def _log(self, name: str) -> Path | None:
        return self.data_dir / f"{name}.log" if self.logs else None

    def start(self) -> None:
        """Starts everything (the databases first); returns without waiting for the replicas."""
        self.postgres.start()
        self.redis.start()
        self.prepare()
        self.supervisor.add(
            "action server",
            action_server_command(Ports(actions=self.ports.actions)),
            self.env(),
            self._log("actions"),
        )
        for index, port in enumerate(self.ports.replicas):
            self.supervisor.add(
                f"Rasa server {index + 1}",
                rasa_server_command(self.model, Ports(rasa=port, actions=self.ports.actions)),
                self.env(port),
                self._log(f"rasa-{index + 1}"),
            )
        self.nginx.start()

    def replica(self, index: int) -> Child:
        return self.supervisor.children[1 + index]

    def wait_ready(self, seconds: float = START_SECONDS) -> float:
        """Waits until every replica is ready and nginx answers; returns the seconds taken.

        Raises:
            TimeoutError: Not ready within `seconds`.
        """
        started = time.monotonic()
        urls = [f"{self.replica_url(i)}/ready" for i in range(len(self.ports.replicas))]
        urls += [f"http://127.0.0.1:{self.ports.actions}/health", f"{self.url}/ready"]
        for url in urls:
            while not _answers(url):
                self.supervisor.check()
                if time.monotonic() - started > seconds:
                    raise TimeoutError(f"{url} did not answer within {seconds:g} s")
                time.sleep(0.5)
        return time.monotonic() - started

    def stop(self) -> None:
        """Stops the Relay processes, then nginx, Redis and PostgreSQL."""
        self.supervisor.stop()
        self.nginx.stop()
        self.redis.stop()
        self.postgres.stop()


def require_servers() -> None:
    """Checks that PostgreSQL, Redis and nginx are installed, before anything starts.

    Raises:
        ServerMissing: One is not (its message names Debian's package).
    """
    nowhere = Path("/nonexistent")
    PostgresServer(nowhere, 0, "").programs()
    RedisServer(nowhere, 0).command()
    NginxServer(nowhere, 0, ()).command()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False
