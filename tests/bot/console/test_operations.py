"""bot/console/operations.py: how tickets are shown to agents (the operations themselves
run through the routes, in test_api.py, and on the real server in tests/e2e/)."""

from __future__ import annotations

from pathlib import Path

from bot.console.operations import present
from bot.services import Services


def test_tickets_are_shown_with_agent_names_and_reason_labels(agents_file: Path) -> None:
    ticket = {
        "id": 1,
        "reason_code": "frustration",
        "assignee": "alice",
        "notes": [{"time": "t", "agent": "alice", "text": "n"}],
        "earlier_tickets": [{"id": 0, "reason_code": "request_human"}],
    }
    shown = present(Services.from_settings(), ticket)
    assert shown["assignee"] == {"username": "alice", "name": "Alice Moreau"}
    assert shown["reason"] == "Customer is frustrated"
    assert shown["notes"][0]["agent_name"] == "Alice Moreau"
    assert shown["earlier_tickets"][0]["reason"] == "Asked for a person"


def test_an_agent_who_left_is_still_shown_by_username(agents_file: Path) -> None:
    shown = present(Services.from_settings(), {"id": 1, "reason_code": "odd", "assignee": "gone"})
    assert shown["assignee"] == {"username": "gone", "name": "gone"}
    assert shown["reason"] == "odd"
