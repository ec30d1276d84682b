"""End-to-end conversation tests: replays tests/test_stories.yml against the trained model.

`rasa test core` parses every user message of the test stories with the model's NLU
and checks the intent, the entities and each action the dialogue policies predict.
The Makefile trains the model before running pytest (`make test`).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.settings import ROOT

MODEL = ROOT / "models" / "relay.tar.gz"
STORIES = ROOT / "tests" / "test_stories.yml"
RASA = Path(sys.executable).with_name("rasa")
TIMEOUT_SECONDS = 1800


def test_conversation_stories_pass(tmp_path: Path) -> None:
    assert MODEL.is_file(), (
        f"No trained model at {MODEL.relative_to(ROOT)}. Run `make train` first "
        "(`make test` trains it for you)."
    )
    assert RASA.is_file(), f"No rasa executable next to the Python interpreter: {RASA}"

    out_dir = tmp_path / "results"
    env = {
        **os.environ,
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"),
        "PYTHONPATH": str(ROOT),
    }
    result = subprocess.run(
        [
            str(RASA),
            "test",
            "core",
            "--model",
            str(MODEL.relative_to(ROOT)),
            "--stories",
            str(STORIES.relative_to(ROOT)),
            "--fail-on-prediction-errors",
            "--out",
            str(out_dir),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
    )

    failed_stories = out_dir / "failed_test_stories.yml"
    failures = (
        failed_stories.read_text(encoding="utf-8")
        if failed_stories.is_file()
        else "(not written: with --fail-on-prediction-errors rasa stops at the first wrong "
        "prediction and prints the failed story in its output below)"
    )
    assert result.returncode == 0, (
        f"`rasa test core` exited with code {result.returncode}.\n\n"
        f"--- {failed_stories.name} ---\n{failures}\n\n"
        f"--- rasa output ---\n{_relevant_output(result.stdout + result.stderr)}"
    )


def _relevant_output(output: str, limit: int = 8000) -> str:
    """The wrong prediction and its story when rasa reports one, else the end of the output."""
    start = output.find("WrongPredictionException")
    if start != -1:
        return output[start : start + limit]
    return output[-limit:]
