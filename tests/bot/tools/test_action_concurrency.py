"""bot/tools/action_concurrency.py: Rasa-shaped calls to the real action server, counted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.tools import action_concurrency as tool


def test_the_calls_are_rasas_own_format_with_the_conversation_so_far() -> None:
    bodies = tool.action_calls("someone")
    assert [body["next_action"] for body in bodies] == [action for action, _, _ in tool.CALLS]
    last = bodies[-1]
    assert last["sender_id"] == "someone"
    assert last["version"].startswith("3.6")
    assert "responses" in last["domain"]  # Rasa sends the whole domain with the call
    said = [event["text"] for event in last["tracker"]["events"] if event["event"] == "user"]
    assert len(said) == len(tool.CALLS)
    assert last["tracker"]["slots"]["order_id"] == "100260"


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert tool.percentile(values, 0.5) == 50.0
    assert tool.percentile(values, 0.95) == 95.0
    assert tool.percentile([3.0], 0.95) == 3.0
    assert tool.percentile([], 0.5) == 0.0


def test_the_report_compares_each_workers_count_with_the_fewest() -> None:
    rows = [
        tool.Figures(1, 10, 1000, 0, 5.0, 200.0, 0.04, 0.08),
        tool.Figures(2, 10, 1500, 1, 5.0, 300.0, 0.03, 0.04),
    ]
    report = tool.markdown(rows, "python -m bot.tools.action_concurrency", (0.5, 1.5))
    assert "| 2 | 10 | 1500 | 300.0 | 0.030 | 0.040 | 1 |" in report
    assert "| 2 | 10 | 1.50x | 0.50x |" in report
    assert "0.50 / 1.50" in report


@pytest.mark.parametrize("text", ["0", "a", "", "2,-1"])
def test_lists_of_numbers_are_checked(text: str) -> None:
    with pytest.raises(Exception, match="whole numbers"):
        tool._numbers(text)


def test_a_short_run_against_the_real_action_server(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code = tool.main(["--workers", "2", "--levels", "1,2", "--seconds", "1", "--out", str(out)])
    assert code == 0
    rows = json.loads((out / "metrics.json").read_text())
    assert [(row["workers"], row["level"]) for row in rows] == [(2, 1), (2, 2)]
    assert all(row["calls"] > 0 and row["errors"] == 0 for row in rows)
    assert all(0 < row["p50"] <= row["p95"] < tool.CALL_SECONDS for row in rows)
    assert (out / "actions.png").stat().st_size > 0
    assert "| Workers | Callers |" in (out / "report.md").read_text()
