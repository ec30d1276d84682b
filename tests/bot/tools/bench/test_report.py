"""bot/tools/bench/report.py: the progress line, report.md, metrics.json and the plot."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.tools.bench import report
from bot.tools.bench.metrics import targets
from bot.tools.bench.stacks import BASELINE, RELAY
from bot.tools.soak.report import Machine
from tests.support.bench import figures_of

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


def test_a_progress_line_per_level_and_stack() -> None:
    line = report.progress_line(FIGURES[2])
    assert line.startswith("level  10 relay")
    assert "p50 1.000 p95 1.000 p99 1.000 s" in line
    assert "0 errors, 0 empty" in line and "RSS rasa 1150 MB, actions 60 MB" in line


def test_the_report_has_the_run_the_levels_the_ratios_and_the_targets() -> None:
    found = targets(FIGURES, {RELAY: 58.2}, {RELAY: 1200.0})
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
    assert text.endswith("(latency.png)\n")
    assert "latency.png" not in report.markdown(FIGURES, found, RUN, HOST, plot=None)


def test_metrics_json_holds_every_figure(tmp_path: Path) -> None:
    found = targets(FIGURES, {RELAY: 58.2}, {RELAY: 1200.0})
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


def test_the_plot_is_a_png(tmp_path: Path) -> None:
    report.plot(tmp_path / "latency.png", FIGURES)
    assert (tmp_path / "latency.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report.plot(tmp_path / "relay-only.png", FIGURES[::2])  # one stack missing is still a plot
    assert (tmp_path / "relay-only.png").stat().st_size > 1000


def test_the_docs_section_replaces_itself_and_nothing_else() -> None:
    found = targets(FIGURES, {RELAY: 58.2}, {RELAY: 1200.0})
    section = report.docs_section(FIGURES, found, RUN, HOST, "bench_latency.png")
    assert section.startswith(report.MARKERS[0] + "\n## Relay against a plain Rasa bot\n")
    assert "\n### Per level\n" in section and "\n### Targets\n" in section
    assert section.endswith("(bench_latency.png)\n\n" + report.MARKERS[1])
    page = report.update_docs(None, section)
    assert page.startswith("# Performance\n") and page.endswith(report.MARKERS[1] + "\n")
    edited = page + "\n## Later section\n\nKept.\n"
    again = report.update_docs(edited, report.docs_section(FIGURES[:2], found, RUN, HOST, "x.png"))
    assert again.count(report.MARKERS[0]) == 1 and "| 10 | Relay |" not in again
    assert again.endswith("## Later section\n\nKept.\n") and "(x.png)" in again
