"""Running one of Relay's tools (`python -m bot.tools.<name>`) as CI does, for e2e tests."""

from __future__ import annotations

import subprocess
import sys

from bot.settings import ROOT


def run_tool(module: str, args: list[str], seconds: float) -> tuple[int, str]:
    """Runs `python -m <module> <args>` from the repository; returns its exit status and
    the end of what it printed (stdout, then stderr)."""
    finished = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=seconds,
    )
    return finished.returncode, finished.stdout[-6000:] + finished.stderr[-4000:]
