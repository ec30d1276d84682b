"""bot/tools/soak/report.py: the machine, the tables, the section in docs/reliability.md."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.settings import ROOT
from bot.tools.soak.figures import SERIES, FaultFigures, Figures
from bot.tools.soak.report import (
    BEFORE,
    END,
    START,
    Machine,
    cpu_model,
    figure_rows,
    plot,
    ram_gb,
    replace_section,
    section,
    summary,
    write_json,
)

HOST = Machine("AMD EPYC 7B13", 2, 23.5, "3.10.13", "Linux 6.1 x86_64")
DOCUMENT = (
    "# Reliability\n\nThis document holds the audit and the soak.\n\n"
    "## Dependency audit\n\n| a | b |\n| --- | --- |\n\nMore text.\n"
)


def figures(**changes: object) -> Figures:
    values: dict[str, object] = {
        "load_seconds": 240.0,
        "total_seconds": 262.0,
        "conversations": {"rest": 70, "widget": 12, "bad_input": 30},
        "messages_sent": 600,
        "requests": 800,
        "accepted": 600,
        "replies_received": 560,
        "bot_answers": 540,
        "apologies": 20,
        "apologies_outside_faults": 0,
        "empty_replies": 0,
        "quiet_in_handoff": 25,
        "retried": 110,
        "throttled": 0,
        "unexpected_statuses": 0,
        "unavailable_outside_faults": 0,
        "bad_inputs_sent": 150,
        "bad_inputs_as_expected": 150,
        "given_up": 0,
        "messages_lost": 0,
        "duplicates": 0,
        "stored_unacknowledged": 0,
        "tickets_expected": 25,
        "tickets_created": 25,
        "tickets_missing": [],
        "tickets_unexpected": [],
        "tickets_still_open": [],
        "handoffs_unresolved": [],
        "agent_replies_sent": 25,
        "agent_replies_in_outbox": 25,
        "agent_replies_awaited": 25,
        "agent_replies_received": 25,
        "agent_replies_missing": [],
        "agent_reply_duplicates": 0,
        "agent_retries": 1,
        "poll_failures": 3,
        "answer_seconds": {"p50": 0.15, "p95": 0.5, "max": 1.2},
        "answer_seconds_in_faults": {"p50": 0.2, "p95": 10.0, "max": 11.0},
        "faults": [
            FaultFigures("action_server", "action server killed", 36.0, 44.0, 8.0, 1.0, 0.9, 0, 18),
            FaultFigures(
                "rasa_server", "Rasa server killed", 120.0, 120.1, 0.1, 57.0, 57.2, 109, 0
            ),
        ],
    }
    values.update(changes)
    return Figures(**values)  # type: ignore[arg-type]


def test_cpu_model_and_ram_from_proc() -> None:
    cpuinfo = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\n\n"
    assert cpu_model(cpuinfo + "processor\t: 1\nmodel name\t: other\n") == "AMD EPYC 7B13"
    assert cpu_model("processor : 0\n") == "unknown"
    assert ram_gb("MemTotal:       24684084 kB\nMemFree: 1 kB\n") == pytest.approx(23.54, abs=0.01)
    assert ram_gb("") == 0.0


def test_the_section_has_the_date_command_machine_figures_faults_and_plot() -> None:
    text = section(figures(), HOST, "2026-12-02 01:00 (UTC)", "python -m bot.tools.soak")
    assert text.startswith(START + "\n## Soak\n") and text.endswith(END)
    assert "| Date | 2026-12-02 01:00 (UTC) |" in text
    assert "| Command | `python -m bot.tools.soak` |" in text
    assert "AMD EPYC 7B13, 2 cores, 23.5 GB RAM, Python 3.10.13" in text
    assert "| Result | passed |" in text
    assert "| **Messages lost** (accepted, not in the tracker) | **0** |" in text
    assert "| Tickets created / expected | 25 / 25 |" in text
    assert "| Rasa server killed | 120 s | 0.10 s | 57 s | 57 s | 109 / 0 |" in text
    assert "![" in text and "(soak.png)" in text


def test_a_failed_run_says_why_in_the_section_and_the_summary() -> None:
    failed = figures(messages_lost=2, lost=[["site-a", "hi"], ["site-a", "bye"]])
    assert "| Result | FAILED: 2 accepted message(s) missing" in section(failed, HOST, "d", "c")
    assert "FAILED: 2 accepted message(s) missing" in summary(failed)
    assert "PASSED" in summary(figures())


def test_every_row_has_a_value() -> None:
    for what, value in figure_rows(figures()):
        assert what and value


def test_the_section_goes_after_the_title_paragraph_and_before_the_audit() -> None:
    new = section(figures(), HOST, "d", "c")
    updated = replace_section(DOCUMENT, new)
    assert updated.index("This document holds") < updated.index(START)
    assert updated.index(END) < updated.index(BEFORE)
    assert updated[updated.index(BEFORE) :] == DOCUMENT[DOCUMENT.index(BEFORE) :]


def test_a_rerun_replaces_the_section_and_nothing_else() -> None:
    once = replace_section(DOCUMENT, section(figures(), HOST, "date-one", "c"))
    twice = replace_section(once, section(figures(messages_sent=9), HOST, "second", "c"))
    assert twice.count(START) == 1 and twice.count(END) == 1
    assert "date-one" not in twice and "| Date | second |" in twice
    assert twice.replace(twice[twice.index(START) : twice.index(END) + len(END)], "") == (
        once.replace(once[once.index(START) : once.index(END) + len(END)], "")
    )


def test_a_document_without_the_audit_gets_the_section_at_the_end() -> None:
    assert replace_section("# Reliability\n", "NEW") == "# Reliability\n\nNEW\n"


def test_the_real_reliability_document_keeps_its_audit_section() -> None:
    document = (ROOT / "docs" / "reliability.md").read_text(encoding="utf-8")
    updated = replace_section(document, section(figures(), HOST, "d", "c"))
    audit = document[document.index(BEFORE) :]
    assert updated.endswith(audit)
    assert updated.startswith("# Reliability\n")


def test_json_and_plot_are_written(tmp_path: Path) -> None:
    write_json(tmp_path / "soak.json", figures(), {"machine": HOST.__dict__})
    written = json.loads((tmp_path / "soak.json").read_text())
    assert written["messages_lost"] == 0 and written["machine"]["cores"] == 2
    series = {label: [3, 4, 0, 5] for label, _ in SERIES}
    plot(tmp_path / "soak.png", series, [("database locked", 5.0, 10.0, 11.0)], 15.0)
    assert (tmp_path / "soak.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
