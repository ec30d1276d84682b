"""End to end: the short bench, as CI runs it.

Relay (its trained model) and the quick baseline (Rasa's default pipeline and
policies with one epoch each, kept in models/bench/quick.tar.gz and trained there
only when its fingerprint is stale: about 2.5 minutes, once) start together on
loopback, then one and two customers say two scripts (an order's status; an order,
then a person) for a few seconds per level and stack. The report must be written
with sane numbers and no errors; Relay must leave no turn without a message.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.tools.bench.stacks import BASELINE, RELAY
from tests.support.tools import run_report_tool

# Both servers load at once, then 1 and 2 customers for 4 s per level and stack.
SMOKE = [
    "--baseline",
    "quick",
    "--together",
    "--levels",
    "1,2",
    "--seconds",
    "4",
    "--scripts",
    "2",
    "--no-docs",
]
SECONDS = 600  # both servers load their models at once (~1-2 min), 4 x 4 s of load


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], str]:
    out, code, output = run_report_tool(tmp_path_factory, "bot.tools.bench", SMOKE, SECONDS)
    assert code == 0, output
    return out, json.loads((out / "metrics.json").read_text()), output


def test_the_report_the_metrics_and_the_plot_are_written(
    bench: tuple[Path, dict[str, Any], str],
) -> None:
    out, metrics, output = bench
    report = (out / "report.md").read_text()
    assert "## Per level" in report and "## Targets" in report, output
    assert (out / "latency.png").read_bytes()[:4] == b"\x89PNG"
    assert [(r["level"], r["stack"]) for r in metrics["results"]] == [
        (1, RELAY),
        (1, BASELINE),
        (2, BASELINE),  # interleaved: the order alternates per level
        (2, RELAY),
    ]
    assert len(metrics["targets"]) == 4
    for stack in (RELAY, BASELINE):
        assert "level   1 " + stack in output and "level   2 " + stack in output


def test_every_level_has_sane_numbers_and_no_errors(
    bench: tuple[Path, dict[str, Any], str],
) -> None:
    _, metrics, _ = bench
    for row in metrics["results"]:
        assert row["errors"] == 0, row
        assert row["turns"] >= row["level"] and row["answered"] == row["turns"]
        assert 0 < row["p50"] <= row["p95"] <= row["p99"] <= row["max"] < 30
        assert row["turns_per_second"] > 0
        assert 50 < row["rss_mb"]["rasa"] < 4096 and 10 < row["rss_mb"]["actions"] < 1024
        if row["stack"] == RELAY:
            assert row["empty"] == 0, row["failed_steps"]
    for ratio in metrics["ratios"]:
        assert ratio["p95"] > 0 and ratio["turns_per_second"] > 0


def test_both_stacks_got_ready_and_warmed_up(bench: tuple[Path, dict[str, Any], str]) -> None:
    _, metrics, _ = bench
    for stack in (RELAY, BASELINE):
        info = metrics["stacks"][stack]
        assert 0 < info["ready_seconds"] < 300
        assert info["warm_up"]["errors"] == 0 and info["warm_up"]["turns"] > 0
        assert info["hwm_mb"]["rasa"] >= 50
