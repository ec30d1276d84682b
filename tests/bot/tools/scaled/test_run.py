"""bot/tools/scaled/run.py: the arguments and a start that fails (no Rasa is started; the
whole profile runs in tests/e2e/test_scaled.py)."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.tools.scaled import run
from bot.tools.scaled.servers import ServerFailed, ServerMissing
from bot.tools.scaled.stack import ScaledPorts, ScaledStack
from bot.tools.soak.stack import free_port
from tests.support.servers import missing_server, port_is_free

NGINX_MISSING = "nginx is missing (Debian: apt-get install nginx-light or nginx)"


@pytest.fixture(autouse=True)
def signals() -> Iterator[None]:
    """main() installs its own SIGINT/SIGTERM handlers: give pytest its own back."""
    saved = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    yield
    for number, handler in saved.items():
        signal.signal(number, handler)


def test_no_replicas_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit:
        run.main(["--replicas", "0", "--data-dir", str(tmp_path / "scaled")])
    assert exit.value.code == 2
    assert "--replicas must be 1 or more" in capsys.readouterr().err
    assert not (tmp_path / "scaled").exists()  # refused before anything was made


def test_replica_ports_follow_the_entry_port(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[ScaledPorts] = []

    def start(stack: ScaledStack) -> None:
        seen.append(stack.ports)
        raise ServerMissing(NGINX_MISSING)

    monkeypatch.setattr(ScaledStack, "start", start)
    argv = ["--port", "7000", "--replicas", "3", "--data-dir", str(tmp_path)]
    assert run.main(argv) == 1
    assert seen[0].entry == 7000
    assert seen[0].replicas == (7006, 7007, 7008)


@pytest.mark.parametrize(
    "error", [ServerMissing(NGINX_MISSING), ServerFailed("exited with code 1")]
)
def test_a_server_that_fails_ends_the_start_clearly_and_stops_what_had_started(
    error: RuntimeError,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    started: list[ScaledStack] = []

    def start(stack: ScaledStack) -> None:
        """Redis and one Relay process start, then a server fails."""
        started.append(stack)
        stack.redis.port = free_port()  # not the profile's fixed port: it may be in use
        try:
            stack.redis.start()
        except ServerMissing as missing:
            missing_server(missing)
        sleeper = [sys.executable, "-c", "import time; time.sleep(60)"]
        stack.supervisor.add("action server", sleeper, stack.env())
        raise error

    monkeypatch.setattr(ScaledStack, "start", start)
    assert run.main(["--data-dir", str(tmp_path)]) == 1

    assert f"Relay (scaled) did not start: {error}\n" in capsys.readouterr().err
    stack = started[0]
    child = stack.supervisor.children[0].process
    assert child is not None and child.poll() is not None
    assert stack.redis.process is not None and stack.redis.process.poll() is not None
    assert port_is_free(stack.redis.port)
