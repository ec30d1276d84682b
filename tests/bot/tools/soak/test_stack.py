"""bot/tools/soak/stack.py: the stack's environment, its kill -9, and the database lock.

(Starting the real servers is tests/e2e/test_soak.py's business.)
"""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.handoff.agents import load_agents
from bot.tools.services import CHANNEL_VARIABLES
from bot.tools.soak.stack import (
    ACTIONS,
    AGENT_USERNAME,
    RASA,
    SHOP_NOW,
    Stack,
    StackError,
)


@pytest.fixture
def stack(tmp_path: Path) -> Stack:
    model = tmp_path / "model.tar.gz"
    model.write_bytes(b"not really a model")
    return Stack(tmp_path / "data", model)


def test_everything_lives_in_the_stacks_own_data_directory(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A developer's own settings must not leak into the soak's stack.
    monkeypatch.setenv("RELAY_DATA_DIR", "/somewhere/else")
    monkeypatch.setenv("RELAY_TRACKER_DB", "/somewhere/else/tracker.db")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:real")
    env = stack.env()
    assert env["RELAY_DATA_DIR"] == str(stack.data_dir)
    assert env["RELAY_TRACKER_DB"] == str(stack.tracker_db)
    assert env["RELAY_SHOP_DB_URL"] == f"sqlite:///{stack.shop_db}"
    assert env["RELAY_AGENTS_FILE"] == str(stack.agents_file)
    assert all(env[name] == "" for name in CHANNEL_VARIABLES if "REST" not in name)
    assert env["RELAY_REST_TOKEN"] == stack.rest_token
    assert env["RELAY_REST_SENDERS_ARE_CUSTOMERS"] == "yes"
    assert env["RELAY_API_TOKEN"] == stack.api_token
    assert env["RELAY_NOW"] == SHOP_NOW
    assert env["RELAY_ACTION_ENDPOINT"].endswith(f":{stack.ports.actions}/webhook")


def test_tokens_stay_off_the_command_line(stack: Stack) -> None:
    for server in (ACTIONS, RASA):
        command = " ".join(stack.command(server))
        assert stack.api_token not in command and stack.rest_token not in command
    assert str(stack.model) in stack.command(RASA)


def test_prepare_writes_the_agent_the_soak_signs_in_as(stack: Stack) -> None:
    stack.prepare()
    assert AGENT_USERNAME in load_agents(stack.agents_file)


def test_prepare_refuses_a_missing_model(tmp_path: Path) -> None:
    with pytest.raises(StackError, match="make train"):
        Stack(tmp_path, tmp_path / "missing.tar.gz").prepare()


def test_kill_is_a_sigkill_of_the_process_group(stack: Stack) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True
    )
    stack.processes[ACTIONS] = process
    stack.kill(ACTIONS)
    assert process.returncode == -9
    assert stack.exited() == [ACTIONS]


def test_the_lock_keeps_everyone_else_out_of_the_database(stack: Stack) -> None:
    stack.data_dir.mkdir(parents=True)
    with sqlite3.connect(stack.tracker_db) as connection:
        connection.execute("CREATE TABLE events (id INTEGER PRIMARY KEY)")

    def read() -> str:
        try:
            with sqlite3.connect(stack.tracker_db, timeout=0.1) as other:
                other.execute("SELECT count(*) FROM events").fetchone()
        except sqlite3.OperationalError as error:
            return str(error)
        return "read"

    async def scenario() -> tuple[str, str]:
        async with stack.tracker_db_locked():
            during = read()
        return during, read()

    assert asyncio.run(scenario()) == ("database is locked", "read")


def test_waiting_for_a_server_that_exits_says_so(stack: Stack) -> None:
    stack.processes[ACTIONS] = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    stack.processes[ACTIONS].wait()
    with pytest.raises(StackError, match="exited"):
        asyncio.run(stack.wait_ready(ACTIONS, seconds=5))
