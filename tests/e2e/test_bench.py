"""End to end: the short bench, as CI runs it.

Relay (its trained model), the quick baseline (Rasa's default pipeline and
policies with one epoch each, kept in models/bench/quick.tar.gz and trained there
only when its fingerprint is stale: about 2.5 minutes, once) and the scaled profile
(two Relay replicas behind nginx, PostgreSQL, Redis) start together on loopback,
then one and two customers say two scripts (an order's status; an order, then a
person) for a few seconds per level and stack. The report must be written with sane
numbers and no errors; Relay, embedded or scaled, must leave no turn without a
message. Without Debian's postgresql, redis-server or nginx the scaled profile is left
out and its tests are skipped, or fail where CI requires the servers
(RELAY_REQUIRE_SERVERS=1).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.tools.bench.stacks import BASELINE, RELAY, SCALED
from bot.tools.scaled.servers import ServerMissing
from bot.tools.scaled.stack import require_servers
from tests.support.servers import missing_server
from tests.support.tools import run_report_tool

# Every stack's servers load at once, then 1 and 2 customers for 4 s per level and stack.
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
SECONDS = 900  # four Rasa servers load their models at once (~2-3 min), 6 x 4 s of load


@pytest.fixture(scope="module")
def scaled_missing() -> ServerMissing | None:
    """Why the scaled profile can't run here (None: it can)."""
    try:
        require_servers()
    except ServerMissing as error:
        return error
    return None


@pytest.fixture(scope="module")
def bench(
    tmp_path_factory: pytest.TempPathFactory, scaled_missing: ServerMissing | None
) -> tuple[Path, dict[str, Any], str]:
    args = SMOKE + (["--no-scaled"] if scaled_missing else [])
    out, code, output = run_report_tool(tmp_path_factory, "bot.tools.bench", args, SECONDS)
    assert code == 0, output
    return out, json.loads((out / "metrics.json").read_text()), output


def stacks_run(metrics: dict[str, Any]) -> list[str]:
    return [stack for stack in (RELAY, BASELINE, SCALED) if stack in metrics["stacks"]]


def test_the_report_the_metrics_and_the_plot_are_written(
    bench: tuple[Path, dict[str, Any], str],
) -> None:
    out, metrics, output = bench
    report = (out / "report.md").read_text()
    assert "## Per level" in report and "## Targets" in report, output
    assert (out / "latency.png").read_bytes()[:4] == b"\x89PNG"
    stacks = stacks_run(metrics)
    # Interleaved: the first stack of a level is the last of the next.
    expected = [(1, stack) for stack in stacks] + [(2, stack) for stack in stacks[1:] + stacks[:1]]
    assert [(r["level"], r["stack"]) for r in metrics["results"]] == expected
    assert len(metrics["targets"]) == (5 if SCALED in stacks else 4)
    for stack in stacks:
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
        assert 50 < row["rss_mb"]["rasa"] < 8192 and 10 < row["rss_mb"]["actions"] < 1024
        if row["stack"] in (RELAY, SCALED):
            assert row["empty"] == 0, row["failed_steps"]
    for rows in metrics["comparisons"].values():
        for ratio in rows:
            assert ratio["p95"] > 0 and ratio["turns_per_second"] > 0


def test_every_stack_got_ready_and_warmed_up(bench: tuple[Path, dict[str, Any], str]) -> None:
    _, metrics, _ = bench
    for stack in stacks_run(metrics):
        info = metrics["stacks"][stack]
        assert 0 < info["ready_seconds"] < 600
        assert info["warm_up"]["errors"] == 0 and info["warm_up"]["turns"] > 0
        assert info["hwm_mb"]["rasa"] >= 50


def test_the_scaled_profile_ran_on_both_replicas_beside_the_embedded_relay(
    bench: tuple[Path, dict[str, Any], str], scaled_missing: ServerMissing | None
) -> None:
    if scaled_missing:
        missing_server(scaled_missing)
    out, metrics, _ = bench
    info = metrics["stacks"][SCALED]
    # nginx spread the customers over both replicas, and each one's memory was counted.
    assert info["replicas"] == 2 and min(info["served"].values()) > 0, info["served"]
    for row in metrics["results"]:
        if row["stack"] == SCALED:
            replicas = [row["rss_mb"][f"rasa-{number}"] for number in (1, 2)]
            assert min(replicas) > 50 and row["rss_mb"]["rasa"] >= max(replicas)
    assert [r["level"] for r in metrics["comparisons"]["scaled/relay"]] == [1, 2]
    names = [target["name"] for target in metrics["targets"]]
    assert any(name.startswith("the scaled profile with two replicas") for name in names)
    report = (out / "report.md").read_text()
    assert "## scaled / embedded" in report and "| 2 | Relay scaled (2 replicas) |" in report
    assert (out / "scaled-rasa-2.log").exists()
