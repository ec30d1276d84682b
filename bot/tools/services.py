"""How Relay's processes are started: commands and environment, shared by `make run`,
`make shell` and the end-to-end tests."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from bot.secret_files import generated_secret
from bot.settings import ROOT

TOKEN_FILE_NAME = "api_token"
ACTION_TOKEN_FILE_NAME = "action_token"
# credentials.yml names these; Rasa refuses unset variables, and empty ones leave the
# Telegram channel off and the REST channel's callers anonymous.
CHANNEL_VARIABLES = (
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_WEBHOOK_SECRET",
    "TELEGRAM_BASE_URL",
    "RELAY_REST_TOKEN",
    "RELAY_REST_SENDERS_ARE_CUSTOMERS",
)


@dataclass(frozen=True)
class Ports:
    rasa: int = 5005
    actions: int = 5055


def api_token(data_dir: Path) -> str:
    """RELAY_API_TOKEN, or a random token generated once and kept in the data directory."""
    token = os.environ.get("RELAY_API_TOKEN")
    if token:
        return token
    return generated_secret(data_dir / TOKEN_FILE_NAME).decode()


def action_token(data_dir: Path) -> str:
    """RELAY_ACTION_TOKEN (what the Rasa server shows the action server), or one generated."""
    token = os.environ.get("RELAY_ACTION_TOKEN")
    if token:
        return token
    return generated_secret(data_dir / ACTION_TOKEN_FILE_NAME).decode()


def environment(
    data_dir: Path, ports: Ports, extra: dict[str, str] | None = None
) -> dict[str, str]:
    """The environment of Relay's processes: SQLite under `data_dir` unless set otherwise,
    and the tokens the servers need (in the environment, never on a command line)."""
    env = dict(os.environ)
    defaults = {
        "RASA_TELEMETRY_ENABLED": "false",
        "RELAY_DATA_DIR": str(data_dir),
        "RELAY_ACTION_ENDPOINT": f"http://127.0.0.1:{ports.actions}/webhook",
        # The action server has no authentication of its own: keep it on loopback.
        "SANIC_HOST": "127.0.0.1",
        "RELAY_TRACKER_DIALECT": "sqlite",
        "RELAY_TRACKER_DB": str(data_dir / "tracker.db"),
        "RELAY_TRACKER_HOST": "",
        "RELAY_TRACKER_USER": "",
        "RELAY_TRACKER_PASSWORD": "",
        "RELAY_LOCK_STORE": "in_memory",
        "RELAY_REDIS_URL": "",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PYTHONWARNINGS": "ignore::DeprecationWarning",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "PYTHONPATH": str(ROOT),
        **dict.fromkeys(CHANNEL_VARIABLES, ""),
    }
    for key, value in defaults.items():
        env.setdefault(key, value)
    env.update(extra or {})
    env.setdefault("RELAY_API_TOKEN", api_token(data_dir))
    env.setdefault("RELAY_ACTION_TOKEN", action_token(data_dir))
    return env


def rasa_bin() -> str:
    return str(Path(sys.executable).with_name("rasa"))


def rasa_server_command(model: Path, ports: Ports, host: str = "127.0.0.1") -> list[str]:
    """The Rasa server (its API token comes from the environment: see environment())."""
    return [
        sys.executable,
        "-m",
        "bot.tools.rasa_server",
        "--model",
        str(model),
        "--endpoints",
        str(ROOT / "endpoints.yml"),
        "--credentials",
        str(ROOT / "credentials.yml"),
        "--interface",
        host,
        "--port",
        str(ports.rasa),
    ]


def action_server_command(ports: Ports) -> list[str]:
    return [sys.executable, "-m", "bot.tools.action_server", "--port", str(ports.actions)]
