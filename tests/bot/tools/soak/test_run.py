"""bot/tools/soak/run.py: options, progress lines, and where the results are written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.tools.soak import run as soak
from bot.tools.soak.figures import build
from bot.tools.soak.journal import ANSWERED, REST, FaultRecord, Journal
from bot.tools.soak.report import BEFORE, END, START
from bot.tools.soak.stack import Stack
from bot.tools.soak.verify import MessageCheck, ReplyCheck, TicketCheck
from tests.support.clock import SecondsClock


def test_the_full_soak_runs_four_minutes_and_the_quick_one_about_75_seconds() -> None:
    full, quick = soak.parse([]), soak.parse(["--quick", "--no-docs"])
    assert soak.load_seconds(full) == 240 and soak.conversations(full) == 8
    assert soak.load_seconds(quick) == soak.QUICK_SECONDS and soak.conversations(quick) == 6
    assert quick.no_docs and not full.no_docs
    given = soak.parse(["--minutes", "1.5", "--conversations", "3", "--quick"])
    assert soak.load_seconds(given) == 90 and soak.conversations(given) == 3


@pytest.mark.parametrize("argv", [["--minutes", "0"], ["--conversations", "0"]])
def test_nonsense_options_are_refused(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        soak.parse(argv)


def test_a_progress_line_says_what_happened_and_which_fault_is_on() -> None:
    clock = SecondsClock(0.0)
    journal = Journal(clock)
    journal.conversation("site-a", REST)
    journal.message(REST, "site-a", "hi", "hi")
    clock.now = 12.0
    journal.exchange(REST, "site-a", 11.0, 200, ANSWERED)
    journal.faults.append(FaultRecord("database", "conversation database locked", 11.5))
    line = soak.progress_line(journal)
    assert line.startswith("[   12s] 1 conversations, 1 messages: 1 answered")
    assert line.endswith("| FAULT: conversation database locked")
    journal.faults[0].ready_after = 1.0
    journal.stopping = True
    assert soak.progress_line(journal).endswith("| draining")


def test_results_go_to_the_output_folder_and_the_docs(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "reliability.md").write_text(
        "# Reliability\n\nIntro.\n\n## Dependency audit\n\nAudit.\n", encoding="utf-8"
    )
    stack = Stack(tmp_path / "data", tmp_path / "model.tar.gz")
    stack.data_dir.mkdir()
    stack.log("rasa").write_text("a log line\n")
    clock = SecondsClock(0.0)
    journal = Journal(clock)
    clock.now = 7.0
    journal.exchange(REST, "site-a", 6.0, 200, ANSWERED)
    figures = build(journal, 5.0, MessageCheck(accepted=1), TicketCheck(), ReplyCheck())
    argv = ["--minutes", "1", "--out", str(tmp_path / "out"), "--docs", str(docs)]
    soak.write_results(soak.parse(argv), argv, stack, journal, figures)

    written = json.loads((tmp_path / "out" / "soak.json").read_text())
    assert written["messages_lost"] == 0 and written["problems"] == []
    assert written["command"] == "python -m bot.tools.soak " + " ".join(argv)
    assert (tmp_path / "out" / "rasa.log").exists()
    assert len((tmp_path / "out" / "exchanges.jsonl").read_text().splitlines()) == 1
    assert (docs / "soak.png").read_bytes() == (tmp_path / "out" / "soak.png").read_bytes()
    text = (docs / "reliability.md").read_text(encoding="utf-8")
    assert text.index("Intro.") < text.index(START) < text.index(END) < text.index(BEFORE)

    before = text
    soak.write_results(soak.parse([*argv, "--no-docs"]), argv, stack, journal, figures)
    assert (docs / "reliability.md").read_text(encoding="utf-8") == before
