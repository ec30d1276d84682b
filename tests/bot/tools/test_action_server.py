"""bot/tools/action_server.py: the actions answer only the Rasa server, and say when ready."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from sanic import Sanic

from bot.tools.action_server import UNAUTHORIZED, create_app, main
from tests.support.asgi import serving
from tests.support.http1 import status_of

TOKEN = "the-action-servers-token"
CALL = {
    "next_action": "action_greet",
    "sender_id": "rest-abc",
    "tracker": {
        "sender_id": "rest-abc",
        "slots": {},
        "latest_message": {"text": "hi", "intent": {"name": "greet"}, "entities": []},
        "events": [],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": "action_listen",
    },
    "domain": {"responses": {"utter_greet": [{"text": "Hello!"}]}},
    "version": "3.6.2",
}


@pytest.fixture
def app(shop_db: Any, monkeypatch: pytest.MonkeyPatch) -> Sanic:
    monkeypatch.setattr(Sanic, "test_mode", True)
    return create_app(TOKEN)


def requests(app: Sanic, *calls: tuple[str, str, dict[str, str]]) -> list[Any]:
    async def go() -> list[Any]:
        async with serving(app) as client:
            answers = []
            for method, path, headers in calls:
                body = CALL if method == "POST" else None
                answers.append(await client.request(method, path, json=body, headers=headers))
            return answers

    return asyncio.run(go())


def test_without_the_token_no_action_runs(app: Sanic) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        [answer] = requests(app, ("POST", "/webhook", headers))
        assert (answer.status_code, answer.json()) == (401, {"error": UNAUTHORIZED})
    [listing] = requests(app, ("GET", "/actions", {}))
    assert listing.status_code == 401


@pytest.mark.parametrize("token", [b"\xff\xfe", TOKEN.encode() + b"\xff"])
def test_an_undecodable_token_is_refused_not_a_crash(app: Sanic, token: bytes) -> None:
    headers = b"Authorization: Bearer " + token + b"\r\nContent-Type: application/json\r\n"
    body = json.dumps(CALL).encode()
    assert status_of(app, "POST", "/webhook", headers, body) == 401


def test_with_the_token_the_action_runs(app: Sanic) -> None:
    [answer] = requests(app, ("POST", "/webhook", {"Authorization": f"Bearer {TOKEN}"}))
    assert answer.status_code == 200
    assert answer.json()["responses"][0]["response"] == "utter_greet"


def test_health_and_readiness_need_no_token(app: Sanic) -> None:
    health, ready = requests(app, ("GET", "/health", {}), ("GET", "/ready", {}))
    assert health.status_code == 200
    assert (ready.status_code, ready.json()) == (200, {"ready": True, "checks": {"shop": "ok"}})


def test_no_cross_origin_browser_may_call_it(app: Sanic) -> None:
    [answer] = requests(app, ("GET", "/health", {"Origin": "https://evil.example"}))
    assert answer.headers.get("access-control-allow-origin") in (None, "")


def test_it_refuses_to_start_without_a_token(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("RELAY_ACTION_TOKEN", raising=False)
    assert main(["--port", "0"]) == 2
    assert "RELAY_ACTION_TOKEN must be set" in capsys.readouterr().err


@pytest.mark.parametrize("workers", ["0", "65", "two"])
def test_a_workers_count_out_of_range_is_refused(
    workers: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--workers", workers])
    assert exit_.value.code == 2
    assert "workers must be a whole number from 1 to 64" in capsys.readouterr().err
