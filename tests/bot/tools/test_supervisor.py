"""bot/tools/supervisor.py: a process that dies is started again; the others carry on."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

from bot.tools.supervisor import MAX_BACKOFF, Supervisor
from tests.support.clock import SecondsClock

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]
QUITTER = [sys.executable, "-c", "raise SystemExit(3)"]


def settle(supervisor: Supervisor) -> None:
    """Waits until every started child that is going to exit has exited."""
    for child in supervisor.children:
        if child.process is not None and child.command == QUITTER:
            child.process.wait(timeout=30)


def test_a_killed_process_is_started_again_and_the_other_keeps_running() -> None:
    said: list[str] = []
    supervisor = Supervisor(say=said.append)
    try:
        actions = supervisor.add("action server", SLEEPER, dict(os.environ))
        rasa = supervisor.add("Rasa server", SLEEPER, dict(os.environ))
        first, untouched = actions.process, rasa.process
        assert first is not None and untouched is not None
        time.sleep(0.2)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        deadline = time.monotonic() + 10
        while actions.restarts == 0 and time.monotonic() < deadline:
            supervisor.check()
            time.sleep(0.1)
        assert actions.restarts == 1 and actions.process is not first
        assert actions.process is not None and actions.process.poll() is None
        assert rasa.process is untouched and untouched.poll() is None
        assert said == ["The action server stopped (exit code -9); starting it again in 1 s."]
    finally:
        supervisor.stop()
    assert all(child.process.poll() is not None for child in supervisor.children)


def test_a_process_that_keeps_dying_waits_longer_each_time() -> None:
    clock = SecondsClock(1000.0)
    supervisor = Supervisor(clock=clock, say=lambda text: None)
    child = supervisor.add("action server", QUITTER, dict(os.environ))
    waits = []
    for _ in range(7):
        settle(supervisor)
        supervisor.check()  # notices the exit and schedules the restart
        waits.append(child.backoff)
        clock.now += child.backoff
        supervisor.check()  # restarts it
    assert waits == [1.0, 2.0, 4.0, 8.0, 16.0, MAX_BACKOFF, MAX_BACKOFF]
    assert child.history == [3] * 7
    supervisor.stop()


def test_a_process_that_ran_a_while_starts_again_at_once() -> None:
    clock = SecondsClock(1000.0)
    supervisor = Supervisor(clock=clock, say=lambda text: None)
    child = supervisor.add("Rasa server", QUITTER, dict(os.environ))
    clock.now += 3600
    settle(supervisor)
    supervisor.check()
    assert child.backoff == 0.0 and child.restarts == 1
    supervisor.stop()


def test_a_child_with_a_log_writes_its_output_there(tmp_path: Path) -> None:
    log = tmp_path / "child.log"
    supervisor = Supervisor(say=lambda text: None)
    child = supervisor.add(
        "talker", [sys.executable, "-c", "print('started')"], dict(os.environ), log
    )
    assert child.process is not None
    child.process.wait(timeout=30)
    supervisor.stop()
    assert log.read_text(encoding="utf-8") == "started\n"
