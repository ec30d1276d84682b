"""bot/handoff/api.py: the console's routes, their documentation and how tickets are shown.

The routes themselves run against the real Rasa server in tests/e2e/test_handoff.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from sanic import Sanic

from bot.handoff import api, runtime
from bot.handoff.agents import add_agent

SPEC = yaml.safe_load(api.SPEC.read_text(encoding="utf-8"))


@pytest.fixture
def agents_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "agents.yml"
    add_agent(path, "alice", "Alice Moreau", "a-long-password")
    monkeypatch.setenv("RELAY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("RELAY_AGENTS_FILE", str(path))
    runtime.reset()
    yield path
    runtime.reset()


def _routes() -> set[tuple[str, str]]:
    """(method, path under /api/v1) of every API route the blueprint registers."""
    app = Sanic("relay_console_routes_test")
    app.blueprint(api.ConsoleChannel().blueprint(lambda message: None), url_prefix="/console")
    found = set()
    for route in app.router.routes:
        path = "/" + route.path
        if not path.startswith("/console/api/v1/"):
            continue
        documented = re.sub(r"<(\w+):int>", r"{id}", path.removeprefix("/console/api/v1"))
        for method in route.methods:
            found.add((method.lower(), documented))
    return found


def test_every_api_route_is_documented_and_nothing_else() -> None:
    documented = {
        (method, path) for path, operations in SPEC["paths"].items() for method in operations
    }
    assert _routes() == documented


def test_the_spec_is_openapi_3_with_bearer_auth() -> None:
    assert SPEC["openapi"].startswith("3.")
    assert SPEC["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert SPEC["paths"]["/login"]["post"]["security"] == []


def test_tickets_are_shown_with_agent_names_and_reason_labels(agents_file: Path) -> None:
    ticket = {
        "id": 1,
        "reason_code": "frustration",
        "assignee": "alice",
        "notes": [{"time": "t", "agent": "alice", "text": "n"}],
        "earlier_tickets": [{"id": 0, "reason_code": "request_human"}],
    }
    shown = api.present(ticket)
    assert shown["assignee"] == {"username": "alice", "name": "Alice Moreau"}
    assert shown["reason"] == "Customer is frustrated"
    assert shown["notes"][0]["agent_name"] == "Alice Moreau"
    assert shown["earlier_tickets"][0]["reason"] == "Asked for a person"


def test_an_agent_who_left_is_still_shown_by_username(agents_file: Path) -> None:
    shown = api.present({"id": 1, "reason_code": "odd", "assignee": "gone"})
    assert shown["assignee"] == {"username": "gone", "name": "gone"}
    assert shown["reason"] == "odd"


def test_the_console_page_and_assets_exist() -> None:
    assert (api.STATIC / "index.html").exists()
    for name in api.ASSETS:
        assert (api.STATIC / name).exists(), name
