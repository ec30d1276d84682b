"""bot/tools/bench/report.py: the progress line, report.md, metrics.json and the plot."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.tools.bench import report
from bot.tools.bench.metrics import level_figures, targets
from bot.tools.bench.stacks import BASELINE, RELAY, SCALED
from bot.tools.soak.report import Machine
from tests.support.bench import figures_of, replicas_of, run_of

HOST = Machine("AMD EPYC", 2, 23.5, "3.10.13", "Linux x86_64")
FIGURES = [
    figures_of(RELAY, 1, 0.2, 1100.0),
    figures_of(BASELINE, 1, 0.25, 1000.0),
    figures_of(RELAY, 10, 1.0, 1150.0),
    figures_of(BASELINE, 10, 0.5, 1010.0),
]
RUN: dict[str, Any] = {
    "date": "2026-12-02 05:00 (UTC)",
    "command": "python -m bot.tools.bench --levels 1,10",
    "levels": [1, 10],
    "seconds": 30.0,
    "think": 0.0,
    "scripts": ["order status", "a person"],
    "load_before": "1.10",
    "load_after": "1.90",
    "ready_note": ", one after the other",
    "stacks": {
        RELAY: {"ready_seconds": 58.2, "model": "models/relay.tar.gz", "hwm_mb": {"rasa": 1200.0}},
        BASELINE: {
            "ready_seconds": 40.0,
            "model": "models/bench/baseline.tar.gz",
            "config": "rasa init's",
            "hwm_mb": {"rasa": 1100.0, "actions": 60.0},
        },
    },
}
EMBEDDED = (RELAY, BASELINE)
PEAKS = {RELAY: {"rasa": 1200.0}}
# The scaled profile beside them: behind at 1 conversation, twice as fast at 10.
WITH_SCALED = [
    *FIGURES,
    replicas_of(1, 0.3, (1000.0, 1100.0)),
    replicas_of(10, 0.6, (1000.0, 1100.0), elapsed=5.0),
]
SCALED_INFO = {
    "ready_seconds": 95.0,
    "model": "models/relay.tar.gz",
    "hwm_mb": {"rasa-1": 1010.0, "rasa-2": 1120.0, "rasa": 2130.0, "actions": 61.0},
    "replicas": 2,
    "served": {"rasa-1": 40, "rasa-2": 38},
}
RUN_SCALED: dict[str, Any] = {
    **RUN,
    "ready_note": ", all starting at once",
    "stacks": {**RUN["stacks"], SCALED: SCALED_INFO},
}


def test_a_progress_line_per_level_and_stack() -> None:
    line = report.progress_line(FIGURES[2])
    assert line.startswith("level  10 relay")
    assert "p50 1.000 p95 1.000 p99 1.000 s" in line
    assert "0 errors, 0 empty" in line and "RSS rasa 1150 MB, actions 60 MB" in line


def test_a_progress_line_gives_the_replicas_sum_and_the_largest() -> None:
    line = report.progress_line(WITH_SCALED[-1])
    assert line.startswith("level  10 scaled")
    assert "RSS rasa 2100 (largest 1100) MB, actions 60 MB" in line


def test_the_cpu_table_says_where_the_machines_cores_went() -> None:
    busy = {"stack": 12.0, "customers": 3.0, "machine": 19.0, "rasa": 11.0}
    measured = level_figures(RELAY, 50, run_of(1.0, 1.0, 1.0, 1.0), {"rasa": 1000.0}, busy)
    assert "cores busy: stack 1.20, customers 0.30, machine 1.90" in report.progress_line(measured)
    rows = report.cpu_table([measured, FIGURES[0]], host_cores=2)
    assert rows[0] == report.CPU_NOTE
    assert "| idle (of 2) |" in rows[2]
    # 12 s over 4 turns; 1.2 + 0.3 cores of 1.9 busy leave 0.4 to others, 0.1 idle.
    assert rows[-1] == "| 50 | Relay | 3000 | 1.20 | 0.30 | 0.40 | 0.10 |"
    assert rows[-2] == "| 1 | Relay | n/a | n/a | n/a | n/a | n/a |"  # not measured
    text = report.markdown([measured], [], RUN, HOST)
    assert "## CPU per level" in text and rows[-1] in text


def test_the_report_has_the_run_the_levels_the_ratios_and_the_targets() -> None:
    found = targets(FIGURES, {RELAY: 58.2}, PEAKS, EMBEDDED)
    text = report.markdown(FIGURES, found, RUN, HOST)
    expected = (
        "| Command | `python -m bot.tools.bench --levels 1,10` |",
        "1.10 / 1.90 (the machine is shared",
        "Relay 58.2 s, baseline (plain Rasa) 40.0 s",
        "Relay 1200 / n/a MB, baseline (plain Rasa) 1100 / 60 MB",
        "| 10 | Relay | 3 | 0.30 | 1.000 | 1.000 | 1.000 | 0 (0) | 0 | 1150 / 60 |",
        "| 1 | 1.00x | 0.80x | 0.80x | 0.80x | 1.10x |",
        "| 10 | 1.00x | 2.00x | 2.00x | 2.00x | 1.14x |",
        "| p95 within 1.25x the baseline at every level | FAIL | 1: 0.80x, 10: 2.00x |",
        "| ready under 30 s (Relay) | FAIL | 58.2 s |",
    )
    assert [line for line in expected if line not in text] == []
    assert "- Relay: none" in text
    assert "| Scaled profile | not run (`--no-scaled`) |" in text
    assert "scaled / embedded" not in text and "Relay scaled" not in text
    assert "to a baseline: a plain Rasa bot" in text and "scaled profile too" not in text
    assert text.endswith("(latency.png)\n")
    assert "latency.png" not in report.markdown(FIGURES, found, RUN, HOST, plot=None)


def test_the_report_compares_the_scaled_profile_with_the_embedded_relay() -> None:
    found = targets(WITH_SCALED, {RELAY: 58.2}, {**PEAKS, SCALED: SCALED_INFO["hwm_mb"]})
    text = report.markdown(WITH_SCALED, found, RUN_SCALED, HOST)
    expected = (
        "A/B interleaved (order rotating per level)",
        "requests served per replica (nginx's access log): rasa-1 40, rasa-2 38 |",
        "Relay 58.2 s, baseline (plain Rasa) 40.0 s, Relay scaled (2 replicas) 95.0 s",
        "Relay scaled (2 replicas) 2130 (largest 1120) / 61 MB |",
        "| 10 | Relay scaled (2 replicas) | 3 | 0.60 | 0.600 | 0.600 | 0.600 | 0 (0) | 0 | "
        "2100 (largest 1100) / 60 |",
        "- Relay scaled (2 replicas): none",
        "## scaled / embedded\n\nThe scaled profile's figures divided by the embedded Relay's",
        "one customer at a time waits for each answer, so a second process has nothing to do",
        "| 1 | 1.00x | 1.50x | 1.50x | 1.50x | 1.91x |",
        "| 10 | 2.00x | 0.60x | 0.60x | 0.60x | 1.83x |",
        "| the scaled profile with two replicas ahead of one process in turns/s (every level "
        "from 2) | pass | 1: 1.00x (not counted), 10: 2.00x |",
        "scaled: largest of 2 processes 1120 MB, 2130 MB in all (VmHWM) |",
    )
    assert [line for line in expected if line not in text] == []
    # Both comparisons, Relay / baseline first, and the rows of each stack in order.
    assert text.index("## Relay / baseline") < text.index("## scaled / embedded")
    rows = [line.split(" | ")[1] for line in text.splitlines() if line.startswith("| 1 | ")][:3]
    assert rows == ["Relay", "baseline (plain Rasa)", "Relay scaled (2 replicas)"]


def test_without_the_baseline_the_report_says_so_and_compares_the_rest() -> None:
    figures = [f for f in WITH_SCALED if f.stack != BASELINE]
    stacks = {name: info for name, info in RUN_SCALED["stacks"].items() if name != BASELINE}
    run = {**RUN_SCALED, "stacks": stacks}
    found = targets(figures, {RELAY: 20.0}, {}, (RELAY, SCALED))
    text = report.markdown(figures, found, run, HOST)
    assert "| Baseline | not run (`--baseline none`): no Relay / baseline comparison" in text
    assert "to a baseline" not in text and "Relay's scaled profile too" in text
    assert "## Relay / baseline" not in text and "p95 within" not in text
    assert "baseline (plain Rasa)" not in text.split("## Per level")[1]
    assert "## scaled / embedded" in text and "| 10 | 2.00x |" in text


def test_metrics_json_holds_every_figure(tmp_path: Path) -> None:
    found = targets(FIGURES, {RELAY: 58.2}, PEAKS, EMBEDDED)
    report.write_json(tmp_path / "metrics.json", FIGURES, found, RUN)
    document = json.loads((tmp_path / "metrics.json").read_text())
    assert document["levels"] == [1, 10]
    assert [(r["stack"], r["level"]) for r in document["results"]] == [
        (RELAY, 1),
        (BASELINE, 1),
        (RELAY, 10),
        (BASELINE, 10),
    ]
    assert document["results"][0]["p95"] == 0.2
    assert document["ratios"][1]["p95"] == 2.0
    assert [t["passed"] for t in document["targets"]] == [False, True, False, True]
    assert list(document["comparisons"]) == ["relay/baseline"]
    report.write_json(tmp_path / "scaled.json", WITH_SCALED, found, RUN_SCALED)
    scaled = json.loads((tmp_path / "scaled.json").read_text())
    assert scaled["comparisons"]["scaled/relay"][1]["turns_per_second"] == 2.0
    assert scaled["stacks"][SCALED]["served"] == {"rasa-1": 40, "rasa-2": 38}


def test_the_plot_is_a_png(tmp_path: Path) -> None:
    assert report.plot(tmp_path / "latency.png", FIGURES) == ["Relay", "baseline (plain Rasa)"]
    assert (tmp_path / "latency.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report.plot(tmp_path / "relay-only.png", FIGURES[::2])  # one stack missing is still a plot
    assert (tmp_path / "relay-only.png").stat().st_size > 1000
    every = report.plot(tmp_path / "three.png", WITH_SCALED)
    assert every == ["Relay", "baseline (plain Rasa)", "Relay scaled (2 replicas)"]
    assert (tmp_path / "three.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_docs_section_replaces_itself_and_nothing_else() -> None:
    found = targets(FIGURES, {RELAY: 58.2}, PEAKS, EMBEDDED)
    section = report.docs_section(FIGURES, found, RUN, HOST, "bench_latency.png")
    assert section.startswith(
        report.MARKERS[0] + "\n## Relay against a plain Rasa bot, and scaled\n"
    )
    assert "\n### Per level\n" in section and "\n### Targets\n" in section
    assert section.endswith("(bench_latency.png)\n\n" + report.MARKERS[1])
    page = report.update_docs(None, section)
    assert page.startswith("# Performance\n") and page.endswith(report.MARKERS[1] + "\n")
    edited = page + "\n## Later section\n\nKept.\n"
    again = report.update_docs(edited, report.docs_section(FIGURES[:2], found, RUN, HOST, "x.png"))
    assert again.count(report.MARKERS[0]) == 1 and "| 10 | Relay |" not in again
    assert again.endswith("## Later section\n\nKept.\n") and "(x.png)" in again
