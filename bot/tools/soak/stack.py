"""The Relay that a soak runs against: both servers on loopback, with data of their own.

`Stack` starts the action server and the Rasa server the way `make run` does
(bot/tools/services.py) on free ports, with SQLite databases, the agents file and
the logs in a data directory of its own, the REST channel behind a backend token
(senders are customers: conversation `site-<sender>`) and the shop's clock on a
weekday morning, so support is open and a request for a person reaches the queue.
It can kill either server (SIGKILL, as a crash would), start it again on the same
port and data, and hold an exclusive lock on the conversation database, as a
database that stopped answering would.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from bot.handoff.agents import add_agent
from bot.settings import ROOT
from bot.tools.services import (
    CHANNEL_VARIABLES,
    Ports,
    action_server_command,
    environment,
    rasa_server_command,
)

ACTIONS = "actions"
RASA = "rasa"
SERVERS = (ACTIONS, RASA)
# A Tuesday at 11:00 in the shop's time zone: customer service is open (shop/facts.yml).
SHOP_NOW = "2026-11-24T11:00:00"
AGENT_USERNAME = "soak-agent"
AGENT_NAME = "Sam Soak"
START_SECONDS = 300.0  # the Rasa server loads its model in about a minute on two cores
STOP_SECONDS = 20.0
POLL_SECONDS = 0.5


class StackError(RuntimeError):
    """A server of the stack did not start, or exited while it should be serving."""


def free_port() -> int:
    """A TCP port nobody listens on at the moment, on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Stack:
    """A running (or startable) Relay: ports, tokens, data directory and processes.

    Args:
        data_dir: Where the databases, secrets, agents file and logs go.
        model: The trained model archive the Rasa server loads.
    """

    data_dir: Path
    model: Path
    ports: Ports = field(default_factory=lambda: Ports(rasa=free_port(), actions=free_port()))
    api_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    rest_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    agent_password: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports.rasa}"

    @property
    def actions_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.actions}"

    @property
    def tracker_db(self) -> Path:
        return self.data_dir / "tracker.db"

    @property
    def shop_db(self) -> Path:
        return self.data_dir / "shop.db"

    @property
    def agents_file(self) -> Path:
        return self.data_dir / "agents.yml"

    def log(self, server: str) -> Path:
        return self.data_dir / f"{server}.log"

    def env(self) -> dict[str, str]:
        """The servers' environment: everything under `data_dir`, tokens in the environment."""
        return environment(
            self.data_dir,
            self.ports,
            {
                **dict.fromkeys(CHANNEL_VARIABLES, ""),  # Telegram off
                "RELAY_DATA_DIR": str(self.data_dir),
                "RELAY_SHOP_DB_URL": f"sqlite:///{self.shop_db}",
                "RELAY_TRACKER_DIALECT": "sqlite",
                "RELAY_TRACKER_DB": str(self.tracker_db),
                "RELAY_TRACKER_HOST": "",
                "RELAY_AGENTS_FILE": str(self.agents_file),
                "RELAY_API_TOKEN": self.api_token,
                "RELAY_REST_TOKEN": self.rest_token,
                "RELAY_REST_SENDERS_ARE_CUSTOMERS": "yes",
                "RELAY_NOW": SHOP_NOW,
                "RELAY_WEBHOOK_URL": "",
            },
        )

    def command(self, server: str) -> list[str]:
        if server == ACTIONS:
            return action_server_command(self.ports)
        return rasa_server_command(self.model, self.ports)

    def prepare(self) -> None:
        """Creates the data directory and the console agent the soak signs in as."""
        if not self.model.exists():
            raise StackError(f"{self.model} is missing: run `make train` first")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        add_agent(self.agents_file, AGENT_USERNAME, AGENT_NAME, self.agent_password)

    def spawn(self, server: str) -> subprocess.Popen[bytes]:
        """Starts `server` (ACTIONS or RASA) in a process group of its own; doesn't wait."""
        with self.log(server).open("ab") as handle:
            process = subprocess.Popen(
                self.command(server),
                env=self.env(),
                cwd=ROOT,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes[server] = process
        return process

    def kill(self, server: str) -> None:
        """kill -9 `server` (and anything it started), as a crash would; waits until it is gone."""
        process = self.processes[server]
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        process.wait(timeout=STOP_SECONDS)

    def stop(self) -> None:
        """Stops both servers politely, then by force."""
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + STOP_SECONDS
        for server, process in self.processes.items():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.kill(server)

    def exited(self) -> list[str]:
        """The servers whose process has exited."""
        return [name for name, process in self.processes.items() if process.poll() is not None]

    def readiness_url(self, server: str) -> str:
        if server == ACTIONS:
            return f"{self.actions_url}/health"
        return f"{self.url}/ready"

    async def wait_ready(self, server: str, seconds: float = START_SECONDS) -> float:
        """Waits until `server` answers its readiness check; returns how long that took.

        Raises:
            StackError: It exited, or did not get ready within `seconds`.
        """
        started = time.monotonic()
        url = self.readiness_url(server)
        timeout = aiohttp.ClientTimeout(total=5)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while time.monotonic() - started < seconds:
                if self.processes[server].poll() is not None:
                    raise StackError(f"the {server} server exited while starting\n{self.tail()}")
                try:
                    async with session.get(url) as answer:
                        if answer.status == 200:
                            return time.monotonic() - started
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    pass
                await asyncio.sleep(POLL_SECONDS)
        raise StackError(f"the {server} server was not ready after {seconds:g} s\n{self.tail()}")

    async def start(self) -> float:
        """Prepares the data directory, starts both servers and waits until Relay is ready."""
        self.prepare()
        started = time.monotonic()
        self.spawn(ACTIONS)
        self.spawn(RASA)
        try:
            await self.wait_ready(ACTIONS)
            await self.wait_ready(RASA)
        except BaseException:
            self.stop()
            raise
        return time.monotonic() - started

    def tail(self, lines: int = 30) -> str:
        """The last lines of both servers' logs."""
        parts = []
        for server in SERVERS:
            path = self.log(server)
            if path.exists():
                text = path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
                parts.append(f"--- {path.name}\n" + "\n".join(text))
        return "\n".join(parts)

    @asynccontextmanager
    async def tracker_db_locked(self) -> AsyncIterator[None]:
        """Holds an exclusive lock on the conversation database: nobody reads or writes it."""
        connection = await asyncio.to_thread(_lock, self.tracker_db)
        try:
            yield
        finally:
            await asyncio.to_thread(_unlock, connection)


def _lock(database: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(database, timeout=60, isolation_level=None)
    connection.execute("BEGIN EXCLUSIVE")
    return connection


def _unlock(connection: sqlite3.Connection) -> None:
    try:
        connection.execute("ROLLBACK")
    finally:
        connection.close()
