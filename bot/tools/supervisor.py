"""Keeps Relay's processes running: one that dies is started again, the others carry on.

`make run` starts the action server and the Rasa server under a Supervisor. When
one exits (a crash, `kill -9`), it is started again after a pause that doubles each
time it dies soon after starting (1 s, 2 s, 4 s, ... at most MAX_BACKOFF), so a
process that can't start doesn't spin; one that ran for a while starts again at
once. Ctrl-C or SIGTERM stops them all.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

MAX_BACKOFF = 30.0
HEALTHY_AFTER = 30.0  # seconds up after which a death counts as a new problem
STOP_SECONDS = 15


@dataclass
class Child:
    """One supervised process: what starts it, and how it has been doing."""

    name: str
    command: list[str]
    env: dict[str, str]
    log: Path | None = None  # where its output goes (None: this terminal)
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restarts: int = 0
    backoff: float = 0.0
    due: float = 0.0
    history: list[int] = field(default_factory=list)  # exit codes


class Supervisor:
    """Starts children, watches them, restarts the ones that die (see the module docstring).

    Args:
        clock: Monotonic seconds (injectable for tests).
        say: Where messages for the person running Relay go.
    """

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        say: Callable[[str], None] = lambda text: print(text, file=sys.stderr, flush=True),
    ) -> None:
        self.children: list[Child] = []
        self._clock = clock
        self._say = say

    def add(
        self, name: str, command: list[str], env: dict[str, str], log: Path | None = None
    ) -> Child:
        child = Child(name, command, env, log)
        self.children.append(child)
        self._start(child)
        return child

    def _start(self, child: Child) -> None:
        if child.log is None:
            child.process = subprocess.Popen(child.command, env=child.env)
        else:
            with child.log.open("ab") as log:
                child.process = subprocess.Popen(
                    child.command, env=child.env, stdout=log, stderr=subprocess.STDOUT
                )
        child.started_at = self._clock()

    def check(self) -> None:
        """Restarts what died, once its pause is over (call this regularly)."""
        now = self._clock()
        for child in self.children:
            process = child.process
            if process is not None and process.poll() is not None:
                code = process.returncode
                child.history.append(code)
                quick = now - child.started_at < HEALTHY_AFTER
                child.backoff = min(MAX_BACKOFF, max(1.0, child.backoff * 2)) if quick else 0.0
                child.due = now + child.backoff
                child.process = None
                self._say(
                    f"The {child.name} stopped (exit code {code}); "
                    f"starting it again in {child.backoff:g} s."
                )
            if child.process is None and now >= child.due:
                child.restarts += 1
                self._start(child)

    def stop(self) -> None:
        """Stops every child: SIGINT first, then SIGKILL for one that won't stop."""
        running = [c.process for c in self.children if c.process and c.process.poll() is None]
        for process in running:
            process.send_signal(signal.SIGINT)
        for process in running:
            try:
                process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()

    def processes(self) -> list[subprocess.Popen[bytes]]:
        return [child.process for child in self.children if child.process is not None]
