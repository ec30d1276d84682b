"""bot/tools/services.py: how Relay's processes are started."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from bot.settings import ROOT
from bot.tools.services import (
    ACTION_TOKEN_FILE_NAME,
    TOKEN_FILE_NAME,
    Ports,
    action_server_command,
    api_token,
    environment,
    rasa_bin,
    rasa_server_command,
)

RELAY_VARIABLES = (
    "RELAY_API_TOKEN",
    "RELAY_DATA_DIR",
    "RELAY_ACTION_ENDPOINT",
    "RELAY_TRACKER_DIALECT",
    "RELAY_TRACKER_DB",
    "RELAY_TRACKER_HOST",
    "RELAY_TRACKER_USER",
    "RELAY_TRACKER_PASSWORD",
    "RELAY_LOCK_STORE",
    "RELAY_REDIS_URL",
    "TELEGRAM_BOT_TOKEN",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in RELAY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_default_ports():
    assert Ports() == Ports(rasa=5005, actions=5055)


def test_api_token_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("RELAY_API_TOKEN", "from-env")
    assert api_token(tmp_path / "data") == "from-env"
    assert not (tmp_path / "data").exists()


def test_api_token_is_generated_once_and_kept_private(tmp_path):
    data_dir = tmp_path / "data"

    token = api_token(data_dir)

    path = data_dir / TOKEN_FILE_NAME
    assert len(token) >= 40
    assert path.read_text(encoding="utf-8") == token
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert api_token(data_dir) == token


def test_api_token_from_the_token_file(tmp_path):
    (tmp_path / TOKEN_FILE_NAME).write_text("  saved-token\n", encoding="utf-8")
    assert api_token(tmp_path) == "saved-token"


def test_environment_defaults(tmp_path):
    env = environment(tmp_path, Ports(rasa=6005, actions=6055))

    assert env["RELAY_DATA_DIR"] == str(tmp_path)
    assert env["RELAY_ACTION_ENDPOINT"] == "http://127.0.0.1:6055/webhook"
    assert env["RELAY_TRACKER_DIALECT"] == "sqlite"
    assert env["RELAY_TRACKER_DB"] == str(tmp_path / "tracker.db")
    assert env["RASA_TELEMETRY_ENABLED"] == "false"
    assert env["PYTHONPATH"] == str(ROOT)
    assert env["SANIC_HOST"] == "127.0.0.1"  # the action server stays on loopback
    assert env["TELEGRAM_BOT_TOKEN"] == ""  # set (Rasa needs it) but empty: Telegram off


def test_environment_keeps_what_is_already_set(monkeypatch, tmp_path):
    monkeypatch.setenv("RELAY_TRACKER_DIALECT", "postgresql")
    monkeypatch.setenv("SOMETHING_UNRELATED", "kept")

    env = environment(tmp_path, Ports())

    assert env["RELAY_TRACKER_DIALECT"] == "postgresql"
    assert env["SOMETHING_UNRELATED"] == "kept"


def test_extra_values_win(monkeypatch, tmp_path):
    monkeypatch.setenv("RELAY_TRACKER_DIALECT", "postgresql")

    env = environment(tmp_path, Ports(), {"RELAY_TRACKER_DIALECT": "sqlite", "RELAY_NOW": "x"})

    assert env["RELAY_TRACKER_DIALECT"] == "sqlite"
    assert env["RELAY_NOW"] == "x"


def test_environment_does_not_change_os_environ(tmp_path):
    environment(tmp_path, Ports(), {"RELAY_NOW": "x"})
    assert "RELAY_DATA_DIR" not in os.environ
    assert os.environ.get("RELAY_NOW") != "x"


def test_one_process_locks_conversations_in_memory_unless_told_to_use_redis(tmp_path, monkeypatch):
    from rasa.utils.endpoints import read_endpoint_config

    def lock_store(extra):
        for key, value in environment(tmp_path, Ports(), extra).items():
            monkeypatch.setenv(key, value)
        return read_endpoint_config(str(ROOT / "endpoints.yml"), "lock_store")

    assert lock_store({}).type == "in_memory"
    scaled = lock_store(
        {
            "RELAY_LOCK_STORE": "bot.ops.redis_lock_store.RedisLockStore",
            "RELAY_REDIS_URL": "redis://127.0.0.1:6380/0",
        }
    )
    assert scaled.type == "bot.ops.redis_lock_store.RedisLockStore"
    assert scaled.url == "redis://127.0.0.1:6380/0"


def test_rasa_is_next_to_the_python_interpreter():
    assert Path(rasa_bin()) == Path(sys.executable).with_name("rasa")


def option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def test_rasa_server_command(tmp_path):
    model = tmp_path / "relay.tar.gz"
    command = rasa_server_command(model, Ports(rasa=6005, actions=6055))

    assert command[:3] == [sys.executable, "-m", "bot.tools.rasa_server"]
    assert option(command, "--model") == str(model)
    assert option(command, "--endpoints") == str(ROOT / "endpoints.yml")
    assert option(command, "--credentials") == str(ROOT / "credentials.yml")
    assert option(command, "--interface") == "127.0.0.1"
    assert option(command, "--port") == "6005"


def test_no_token_is_ever_on_a_command_line(tmp_path, monkeypatch):
    monkeypatch.delenv("RELAY_API_TOKEN", raising=False)
    monkeypatch.delenv("RELAY_ACTION_TOKEN", raising=False)
    env = environment(tmp_path, Ports())
    commands = [rasa_server_command(tmp_path / "m.tar.gz", Ports()), action_server_command(Ports())]
    for secret in (env["RELAY_API_TOKEN"], env["RELAY_ACTION_TOKEN"]):
        assert len(secret) >= 40
        assert not any(secret in part for command in commands for part in command)
    assert (tmp_path / TOKEN_FILE_NAME).read_text() == env["RELAY_API_TOKEN"]
    assert (tmp_path / ACTION_TOKEN_FILE_NAME).read_text() == env["RELAY_ACTION_TOKEN"]


def test_rasa_server_can_listen_elsewhere(tmp_path):
    command = rasa_server_command(tmp_path / "m.tar.gz", Ports(), host="0.0.0.0")
    assert option(command, "--interface") == "0.0.0.0"


def test_action_server_command():
    assert action_server_command(Ports(actions=6055)) == [
        sys.executable,
        "-m",
        "bot.tools.action_server",
        "--port",
        "6055",
    ]
