"""Starts the real Rasa server and action server on loopback ports for end-to-end tests."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.settings import ROOT
from bot.tools.services import (
    Ports,
    action_server_command,
    environment,
    rasa_server_command,
)

MODEL = ROOT / "models" / "relay.tar.gz"
STARTUP_SECONDS = 240
TOKEN = "e2e-secret-token"
# The REST channel as a shop's backend uses it: with its token, senders being customers.
REST_TOKEN = "e2e-rest-backend-token"
BACKEND = {"RELAY_REST_TOKEN": REST_TOKEN, "RELAY_REST_SENDERS_ARE_CUSTOMERS": "yes"}


def site(sender: str) -> str:
    """The conversation of a sender the shop's backend vouches for (bot/identity.py)."""
    return f"site-{sender}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http(
    method: str,
    url: str,
    body: Any = None,
    timeout: float = 60,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    """A JSON request; returns (status, decoded body or raw text)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read().decode()
            status = response.status
    except urllib.error.HTTPError as error:
        raw = error.read().decode()
        status = error.code
    try:
        return status, json.loads(raw)
    except json.JSONDecodeError:
        return status, raw


def say(url: str, headers: dict[str, str], sender: str, message: str) -> list[dict[str, Any]]:
    """A customer's message on the REST channel at `url`; the bot's replies (must be 200)."""
    status, replies = http(
        "POST",
        f"{url}/webhooks/rest/webhook",
        {"sender": sender, "message": message},
        headers=headers,
    )
    assert status == 200, (status, replies)
    return replies


def turns(url: str, conversation: str) -> list[tuple[str, list[str]]]:
    """The conversation as the Rasa server at `url` stored it (its tracker, with the API
    token): each customer message with the texts the bot sent after it, in order."""
    status, tracker = http("GET", f"{url}/conversations/{conversation}/tracker?token={TOKEN}")
    assert status == 200, tracker
    stored: list[tuple[str, list[str]]] = []
    for event in tracker["events"]:
        if event["event"] == "user":
            stored.append((event["text"], []))
        elif event["event"] == "bot" and stored and event.get("text"):
            stored[-1][1].append(event["text"])
    return stored


@dataclass
class Relay:
    """Handles to a running Relay: its URLs, data folder and processes."""

    ports: Ports
    data_dir: Path
    env: dict[str, str]
    processes: list[subprocess.Popen[bytes]]
    logs: list[Path]
    credentials: Path | None = None  # the channels' file, if not ROOT/credentials.yml

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports.rasa}"

    @property
    def rest_headers(self) -> dict[str, str]:
        """What the shop's backend sends on the REST channel (none for anonymous callers)."""
        token = self.env.get("RELAY_REST_TOKEN")
        return {"Authorization": f"Bearer {token}"} if token else {}

    def say(self, sender: str, message: str) -> list[dict[str, Any]]:
        return say(self.url, self.rest_headers, sender, message)

    def texts(self, sender: str, message: str) -> str:
        """Everything the bot answered to `message`, as one string."""
        return "\n".join(reply.get("text", "") for reply in self.say(sender, message))

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(
            f"--- {log.name}\n" + "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
            for log in self.logs
            if log.exists()
        )

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait(relay: Relay) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    checks = [
        f"http://127.0.0.1:{relay.ports.actions}/health",
        f"{relay.url}/status?token={TOKEN}",
    ]
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in relay.processes):
            raise RuntimeError("a Relay process exited during start-up\n" + relay.log_tail())
        try:
            if all(http("GET", url, timeout=5)[0] == 200 for url in checks):
                return
        except OSError:
            pass
        time.sleep(1)
    raise RuntimeError("Relay did not start in time\n" + relay.log_tail())


def _rasa_command(relay: Relay) -> list[str]:
    command = rasa_server_command(MODEL, relay.ports)
    if relay.credentials is not None:
        command[command.index("--credentials") + 1] = str(relay.credentials)
    return command


ACTIONS, RASA = 0, 1  # indexes of the two processes in Relay.processes


def _commands(relay: Relay) -> list[list[str]]:
    return [action_server_command(relay.ports), _rasa_command(relay)]


def _spawn(relay: Relay, which: int) -> subprocess.Popen[bytes]:
    handle = relay.logs[which].open("ab")
    return subprocess.Popen(
        _commands(relay)[which], env=relay.env, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT
    )


def _launch(relay: Relay) -> None:
    relay.processes = [_spawn(relay, ACTIONS), _spawn(relay, RASA)]
    try:
        _wait(relay)
    except Exception:
        relay.stop()
        raise


def kill(relay: Relay, which: int) -> None:
    """kill -9 one of the servers (ACTIONS or RASA), as a crash would."""
    process = relay.processes[which]
    process.kill()
    process.wait(timeout=30)


def revive(relay: Relay, which: int) -> None:
    """Starts a killed server again on the same port and data, and waits until it serves."""
    relay.processes[which] = _spawn(relay, which)
    _wait(relay)


def start(data_dir: Path, extra_env: dict[str, str], credentials: Path | None = None) -> Relay:
    """Starts the action server and Rasa server with their data under `data_dir`
    (and the channels of `credentials` instead of ROOT/credentials.yml, if given).

    The REST channel sits behind a "backend" (BACKEND) unless `extra_env` says otherwise.
    """
    if not MODEL.exists():
        raise RuntimeError(f"{MODEL} is missing: run `make train` first")
    data_dir.mkdir(parents=True, exist_ok=True)
    ports = Ports(rasa=free_port(), actions=free_port())
    env = environment(data_dir, ports, {"RELAY_API_TOKEN": TOKEN, **BACKEND, **extra_env})
    logs = [data_dir / "actions.log", data_dir / "rasa.log"]
    relay = Relay(
        ports=ports, data_dir=data_dir, env=env, processes=[], logs=logs, credentials=credentials
    )
    _launch(relay)
    return relay


def restart(relay: Relay) -> None:
    """Stops both servers and starts them again on the same ports and data."""
    relay.stop()
    _launch(relay)
