"""End to end: the short soak (`--quick`), as CI runs it.

About 75 s of mixed load on the real stack (its own data directory, SQLite) while the
action server is killed and restarted and the conversation database is locked; then
the stack's own data is checked. Nothing accepted may be lost, no request may get a
status it should never get, every announced ticket must exist and every agent reply
must reach the customer waiting for it. docs/ is left untouched.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.tools import run_report_tool

SECONDS = 420  # start-up (~60 s), 75 s of load, the drain; usually well under 4 minutes


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict[str, Any], str]:
    out, code, output = run_report_tool(tmp_path_factory, "bot.tools.soak", ["--quick"], SECONDS)
    assert (out / "soak.json").exists(), output
    return code, json.loads((out / "soak.json").read_text()), output


def test_the_quick_soak_passes(run: tuple[int, dict[str, Any], str]) -> None:
    code, figures, output = run
    assert code == 0, f"{figures['problems']}\n{output}"


def test_nothing_accepted_is_lost_or_given_up(run: tuple[int, dict[str, Any], str]) -> None:
    _, figures, output = run
    assert figures["messages_sent"] > 50, output
    assert figures["messages_lost"] == 0, figures["lost"]
    assert figures["given_up"] == 0, figures["errors"]
    assert figures["accepted"] == figures["messages_sent"]


def test_no_unexpected_status_and_no_503_outside_a_fault(
    run: tuple[int, dict[str, Any], str],
) -> None:
    _, figures, _ = run
    assert figures["unexpected_statuses"] == 0, figures["errors"]
    assert figures["unavailable_outside_faults"] == 0
    assert figures["bad_inputs_as_expected"] == figures["bad_inputs_sent"] > 0
    assert figures["errors"] == []


def test_every_announced_ticket_exists_and_every_agent_reply_arrives(
    run: tuple[int, dict[str, Any], str],
) -> None:
    _, figures, _ = run
    assert figures["tickets_expected"] > 0
    assert figures["tickets_created"] == figures["tickets_expected"], figures["tickets_missing"]
    assert figures["handoffs_unresolved"] == []
    assert figures["agent_replies_sent"] >= figures["tickets_expected"]
    assert figures["agent_replies_missing"] == []
    assert figures["agent_replies_received"] == figures["agent_replies_awaited"]


def test_both_faults_happened_and_relay_recovered(run: tuple[int, dict[str, Any], str]) -> None:
    _, figures, _ = run
    faults = {fault["kind"]: fault for fault in figures["faults"]}
    assert set(faults) == {"action_server", "database"}  # no Rasa kill in the quick soak
    assert faults["action_server"]["apologies"] > 0  # the kill was felt...
    for fault in faults.values():
        assert fault["recovery_seconds"] is not None  # ...and Relay came back
