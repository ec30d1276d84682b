"""Running one of Relay's tools (`python -m bot.tools.<name>`) as CI does, for e2e tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import ROOT

MODEL = ROOT / "models" / "relay.tar.gz"


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


def run_report_tool(
    folders: pytest.TempPathFactory, module: str, args: list[str], seconds: float
) -> tuple[Path, int, str]:
    """Runs a tool that needs Relay's trained model and writes results to `--out` and, but
    for `--no-docs` (which it gets), docs to `--docs`; returns the results' folder, the exit
    status and the output. The docs folder must stay untouched."""
    if not MODEL.exists():
        raise RuntimeError(f"{MODEL} is missing: run `make train` first")
    out = folders.mktemp(module.rsplit(".", 1)[-1])
    docs = folders.mktemp("docs")
    extra = ["--no-docs", "--out", str(out), "--docs", str(docs)]
    code, output = run_tool(module, [*args, *extra], seconds)
    assert list(docs.iterdir()) == [], output
    return out, code, output
