"""bot/tools/bench/scaled.py: the scaled profile as a bench stack (run: tests/e2e/test_bench.py)."""

from __future__ import annotations

import asyncio
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.tools.bench.scaled import ScaledBenchStack, replica_name, served_by
from bot.tools.bench.stacks import SCALED
from bot.tools.scaled import servers
from bot.tools.soak.stack import SHOP_NOW, StackError

SLEEP = [sys.executable, "-c", "import time; time.sleep(60)"]


def access_line(path: str, upstream: str) -> str:
    return (
        f'127.0.0.1 [02/Dec/2026:13:48:01 +0000] "{path} HTTP/1.1" 200 93 '
        f"upstream={upstream} upstream_status=200 seconds=0.301"
    )


def test_served_by_counts_the_customers_messages_per_replica() -> None:
    post = "POST /webhooks/rest/webhook"
    log = "\n".join(
        [
            access_line(post, "127.0.0.1:5011"),
            access_line(post, "127.0.0.1:5012"),
            access_line(post, "127.0.0.1:5011"),
            access_line("GET /ready", "127.0.0.1:5012"),  # a readiness check, no message
            access_line(post, "127.0.0.1:5011, 127.0.0.1:5012"),  # the first refused it
            access_line(post, "127.0.0.1:9999"),  # not one of ours
            access_line(post, "-"),  # nginx answered it without a replica
            "",
        ]
    )
    assert served_by(log, (5011, 5012)) == {"rasa-1": 2, "rasa-2": 2}
    assert served_by("", (5011, 5012)) == {"rasa-1": 0, "rasa-2": 0}


def test_replicas_are_named_for_the_memory_totals() -> None:
    assert [replica_name(index) for index in range(2)] == ["rasa-1", "rasa-2"]


def test_its_clients_call_nginx_with_a_backend_token_as_anonymous_senders(tmp_path: Path) -> None:
    scaled = ScaledBenchStack(tmp_path / "scaled", tmp_path / "relay.tar.gz")
    assert scaled.name == SCALED and scaled.replicas == 2
    assert stat.S_IMODE(scaled.data_dir.stat().st_mode) == 0o711  # PostgreSQL passes through
    assert scaled.url == f"http://127.0.0.1:{scaled.stack.ports.entry}"
    assert len(scaled.stack.ports.replicas) == 2
    assert scaled.headers == {"Authorization": f"Bearer {scaled.rest_token}"}
    assert scaled.sender("bench-x") == "scaled-bench-x"  # never another stack's id
    env = scaled.stack.env()
    assert env["RELAY_REST_TOKEN"] == scaled.rest_token != ""
    assert env["RELAY_REST_SENDERS_ARE_CUSTOMERS"] == ""  # conversations are rest-<sender>
    assert env["RELAY_API_TOKEN"] == scaled.api_token
    assert env["TELEGRAM_BOT_TOKEN"] == "" and env["RELAY_NOW"] == SHOP_NOW
    assert env["RELAY_TRACKER_DIALECT"] == "postgresql"  # still the scaled profile's own
    assert set(scaled.logs()) == {"actions", "rasa-1", "rasa-2", "nginx-error", "postgres"}
    assert scaled.logs()["rasa-2"] == scaled.data_dir / "rasa-2.log"


@pytest.fixture
def running(tmp_path: Path) -> Iterator[ScaledBenchStack]:
    """The stack with a sleeping process in place of every server (nothing real starts)."""
    scaled = ScaledBenchStack(tmp_path / "scaled", tmp_path / "relay.tar.gz")
    for name in ("action server", "Rasa server 1", "Rasa server 2"):
        scaled.stack.supervisor.add(name, SLEEP, {})
    for server in (scaled.stack.nginx, scaled.stack.postgres, scaled.stack.redis):
        server.process = subprocess.Popen(SLEEP)
    yield scaled
    processes = [*scaled.stack.supervisor.processes()]
    processes += [
        s.process for s in (scaled.stack.nginx, scaled.stack.postgres, scaled.stack.redis)
    ]
    for process in processes:
        if process is not None:
            process.kill()
            process.wait()


def test_every_running_server_counts_for_memory_and_one_that_stopped_is_named(
    running: ScaledBenchStack,
) -> None:
    names = [name for name, _ in running.roots()]
    assert names == ["actions", "rasa-1", "rasa-2", "nginx", "postgres", "redis"]
    assert running.exited() == []
    replica = running.stack.replica(1).process
    assert replica is not None
    replica.kill()
    replica.wait()
    assert running.exited() == ["rasa-2"]  # not started again: the bench must hear of it
    assert "rasa-2" not in [name for name, _ in running.roots()]


def test_a_missing_server_is_a_stack_error_naming_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scaled = ScaledBenchStack(tmp_path / "scaled", tmp_path / "relay.tar.gz")
    monkeypatch.setattr(servers, "POSTGRES_BIN", tmp_path / "no-postgresql")
    monkeypatch.setattr(servers.shutil, "which", lambda name: None)
    try:
        with pytest.raises(StackError, match="apt-get install postgresql"):
            asyncio.run(scaled.start())
    finally:
        scaled.stop()
    assert scaled.stack.supervisor.children == []  # nothing else was started
