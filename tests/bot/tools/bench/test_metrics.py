"""bot/tools/bench/metrics.py: percentiles, a level's figures, the ratios and the targets."""

from __future__ import annotations

import pytest

from bot.tools.bench.load import LevelRun
from bot.tools.bench.metrics import (
    SCALED_BY_EMBEDDED,
    LevelFigures,
    comparisons,
    cores,
    cpu_per_turn,
    latencies,
    level_figures,
    ratio,
    ratios,
    targets,
)
from bot.tools.bench.stacks import BASELINE, RELAY, SCALED
from tests.support.bench import figures_of, replicas_of, run_of, turn

EMBEDDED_ONLY = (RELAY, BASELINE)


def test_percentiles_by_nearest_rank_over_answered_turns() -> None:
    run = run_of(*(i / 100 for i in range(1, 101)))
    assert latencies(run) == {"p50": 0.5, "p95": 0.95, "p99": 0.99, "max": 1.0}
    assert latencies(run_of(0.3)) == {"p50": 0.3, "p95": 0.3, "p99": 0.3, "max": 0.3}
    nothing = LevelRun((turn(5.0, status=None, failure="no answer within 60 s"),), 60.0)
    assert latencies(nothing) == {"p50": None, "p95": None, "p99": None, "max": None}


def test_a_levels_figures_count_errors_timeouts_and_empty_replies() -> None:
    run = LevelRun(
        (
            turn(0.1),
            turn(0.3, messages=0, script="a person", step=1),
            turn(60.0, status=None, failure="no answer within 60 s", step=2),
            turn(0.1, status=None, failure="ClientConnectorError: refused"),
            turn(0.2, status=500, failure="boom", step=2),
        ),
        elapsed=4.0,
    )
    found = level_figures(RELAY, 10, run, {"rasa": 1200.0})
    assert (found.turns, found.answered, found.errors) == (5, 2, 3)
    assert (found.timeouts, found.http_errors, found.empty) == (1, 1, 1)
    assert found.turns_per_second == 0.5  # answered turns only
    assert (found.p50, found.max) == (0.1, 0.3)  # errors' times are no latency
    assert found.failed_steps == {"a person #2": 1, "order status #3": 2, "order status #1": 1}
    assert found.rss_mb == {"rasa": 1200.0}


def test_cores_busy_and_cpu_per_turn_over_the_level() -> None:
    run = LevelRun((turn(0.1), turn(0.2), turn(0.3, status=500)), elapsed=4.0)
    cpu = {"rasa": 5.0, "stack": 6.0, "customers": 1.0, "machine": 7.6}
    found = level_figures(RELAY, 10, run, cpu=cpu)
    assert found.cpu == cpu
    assert (cores(found, "stack"), cores(found, "machine")) == (1.5, 1.9)
    assert cpu_per_turn(found) == 3.0  # per answered turn
    unmeasured = level_figures(RELAY, 10, run)
    assert cores(unmeasured, "stack") is None and cpu_per_turn(unmeasured) is None
    nothing = level_figures(RELAY, 1, LevelRun((), 0.0), cpu=cpu)
    assert cores(nothing, "stack") is None and cpu_per_turn(nothing) is None


def test_no_time_no_throughput() -> None:
    assert level_figures(RELAY, 1, LevelRun((), 0.0)).turns_per_second == 0.0


def test_ratio_is_relay_over_baseline() -> None:
    assert ratio(1.5, 1.0) == 1.5
    assert ratio(None, 1.0) is None and ratio(1.0, None) is None and ratio(1.0, 0) is None


def test_ratios_pair_the_stacks_per_level() -> None:
    figures = [
        figures_of(RELAY, 1, 0.2, 1100.0),
        figures_of(BASELINE, 1, 0.4, 1000.0),
        figures_of(RELAY, 10, 1.0),
        figures_of(BASELINE, 10, 0.5),
        figures_of(RELAY, 50, 2.0),  # no baseline at 50: no ratio
    ]
    rows = ratios(figures)
    assert [row["level"] for row in rows] == [1, 10]
    assert rows[0]["p95"] == 0.5 and rows[1]["p95"] == 2.0
    assert rows[0]["turns_per_second"] == 1.0
    assert rows[0]["rasa_rss"] == 1.1


@pytest.mark.parametrize(
    ("relay_p95", "passed"), [(0.5, True), (0.625, True), (0.63, False), (2.0, False)]
)
def test_the_p95_target_holds_at_every_level(relay_p95: float, passed: bool) -> None:
    figures = [
        figures_of(RELAY, 1, 0.1),
        figures_of(BASELINE, 1, 0.1),
        figures_of(RELAY, 10, relay_p95),
        figures_of(BASELINE, 10, 0.5),
    ]
    p95 = targets(figures, {RELAY: 10.0}, {RELAY: {"rasa": 1000.0}})[0]
    assert p95.passed is passed
    assert p95.detail.startswith("1: 1.00x, 10: ")


def test_errors_empty_replies_readiness_and_memory_targets() -> None:
    good = [figures_of(RELAY, 1, 0.1), figures_of(BASELINE, 1, 0.1)]
    found = targets(good, {RELAY: 29.0, BASELINE: 40.0}, {RELAY: {"rasa": 1500.0}}, EMBEDDED_ONLY)
    assert [t.passed for t in found] == [True, True, True, True]
    assert found[1].name == "zero errors and zero empty replies (Relay)"
    assert found[1].detail == "0 errors, 0 empty replies in 3 turns"
    assert found[3].detail == "peak 1500 MB (VmHWM)"

    empty = level_figures(RELAY, 1, LevelRun((turn(0.1, messages=0),), 1.0))
    slow = targets(
        [empty, figures_of(BASELINE, 1, 0.1)],
        {RELAY: 31.0},
        {RELAY: {"rasa": 1600.0}},
        EMBEDDED_ONLY,
    )
    assert [t.passed for t in slow] == [True, False, False, False]
    assert slow[2].detail == "31.0 s"


def test_nothing_measured_passes_nothing() -> None:
    found = targets([], {}, {}, EMBEDDED_ONLY)
    assert not any(t.passed for t in found)
    assert [t.detail for t in found][0] == "no level measured"
    assert found[2].detail == "did not start" and found[3].detail == "not measured"
    every = targets([], {}, {})
    assert len(every) == 5 and not any(t.passed for t in every)
    assert every[3].detail == "Relay: not measured; scaled: not measured"
    assert every[4].detail == "no level measured"


def test_scaled_over_embedded_pairs_the_scaled_profile_with_the_one_process() -> None:
    figures = [
        figures_of(RELAY, 1, 0.2, 1000.0),
        replicas_of(1, 0.25, (1000.0, 1050.0)),
        figures_of(BASELINE, 1, 0.4),
        figures_of(RELAY, 10, 1.0, elapsed=10.0),
        replicas_of(10, 0.8, elapsed=6.0),
    ]
    rows = ratios(figures, SCALED_BY_EMBEDDED)
    assert [row["level"] for row in rows] == [1, 10]
    assert rows[0]["p95"] == 1.25 and rows[0]["rasa_rss"] == 2.05  # both replicas' RSS
    assert rows[1]["turns_per_second"] == 1.667 and rows[1]["p95"] == 0.8
    assert ratios(figures)[0]["p95"] == 0.5  # Relay / baseline is still the default
    found = comparisons(figures)
    assert list(found) == ["relay/baseline", "scaled/relay"]
    assert found["scaled/relay"] == rows
    assert list(comparisons(figures[:2])) == ["scaled/relay"]


def _scaled_run(scaled_elapsed: dict[int, float]) -> list[LevelFigures]:
    """Relay at 3 turns in 10 s per level; the scaled profile's 3 turns in the seconds given."""
    figures = []
    for level, elapsed in scaled_elapsed.items():
        figures += [figures_of(RELAY, level, 0.2), replicas_of(level, 0.2, elapsed=elapsed)]
    return figures


@pytest.mark.parametrize(
    ("scaled_elapsed", "passed", "detail"),
    [
        # Behind at 1 conversation (not counted), ahead at 10 and 50: pass.
        ({1: 12.0, 10: 7.5, 50: 5.0}, True, "1: 0.83x (not counted), 10: 1.33x, 50: 2.00x"),
        ({1: 7.5, 10: 7.5, 50: 10.0}, False, "1: 1.33x (not counted), 10: 1.33x, 50: 1.00x"),
        ({1: 7.5, 10: 12.0, 50: 5.0}, False, "1: 1.33x (not counted), 10: 0.83x, 50: 2.00x"),
        ({1: 5.0}, False, "1: 2.00x (not counted)"),  # no level where two processes can help
    ],
)
def test_the_scaled_profile_must_be_ahead_at_every_level_above_one(
    scaled_elapsed: dict[int, float], passed: bool, detail: str
) -> None:
    scaled = targets(_scaled_run(scaled_elapsed), {}, {})[-1]
    assert scaled.name.startswith("the scaled profile with two replicas ahead of one process")
    assert (scaled.passed, scaled.detail) == (passed, detail)


def test_errors_and_memory_count_both_relay_profiles() -> None:
    figures = [figures_of(RELAY, 1, 0.1), replicas_of(1, 0.1), figures_of(BASELINE, 1, 0.1)]
    peaks = {
        RELAY: {"rasa": 1200.0, "actions": 60.0},
        SCALED: {"rasa-1": 1300.0, "rasa-2": 1400.0, "rasa": 2700.0},  # 2.7 GB in all is fine
    }
    found = {t.name: t for t in targets(figures, {RELAY: 20.0}, peaks)}
    errors = found["zero errors and zero empty replies (Relay, embedded and scaled)"]
    assert errors.passed
    assert errors.detail == (
        "Relay: 0 errors, 0 empty replies in 3 turns; scaled: 0 errors, 0 empty replies in 3 turns"
    )
    memory = found["under 1.5 GB RSS per Rasa process (Relay, embedded and scaled)"]
    assert memory.passed
    assert memory.detail == (
        "Relay: peak 1200 MB; scaled: largest of 2 processes 1400 MB, 2700 MB in all (VmHWM)"
    )

    peaks[SCALED]["rasa-2"] = 1600.0  # one replica over
    assert not {t.name: t for t in targets(figures, {}, peaks)}[memory.name].passed
    empty = level_figures(SCALED, 1, LevelRun((turn(0.1, messages=0),), 1.0))
    assert not targets([figures[0], empty], {}, peaks)[1].passed


def test_a_stack_not_run_takes_its_targets_with_it() -> None:
    figures = [figures_of(RELAY, 1, 0.1), replicas_of(1, 0.1)]
    names = [t.name for t in targets(figures, {RELAY: 20.0}, {}, (RELAY, SCALED))]
    assert not any("baseline" in name for name in names)  # --baseline none: no p95 target
    assert len(names) == 4 and names[-1].startswith("the scaled profile")
    alone = targets(figures[:1], {RELAY: 20.0}, {}, (RELAY, BASELINE))
    assert not any("scaled" in t.name for t in alone)  # --no-scaled
