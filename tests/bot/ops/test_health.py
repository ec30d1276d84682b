"""bot/ops/health.py: /health while the process serves, /ready only when Relay can serve."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from rasa.core.channels.channel import register
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.utils.endpoints import EndpointConfig
from sanic import Sanic, response

from bot.ops.conversation_store import make_strict
from bot.ops.health import HealthChannel
from tests.support.asgi import serving
from tests.support.rasa import StandInAgent
from tests.support.services import services_in


class Store(InMemoryTrackerStore):
    def __init__(self) -> None:
        super().__init__(Domain.empty())
        self.down = False

    async def retrieve(self, sender_id: str) -> Any:
        if self.down:
            raise ConnectionError("database is locked")
        return await super().retrieve(sender_id)


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Sanic:
    monkeypatch.setattr(Sanic, "test_mode", True)
    app = Sanic("relay_health_test")
    app.ctx.services = services_in(tmp_path, monkeypatch)
    register([HealthChannel()], app, route="/webhooks/")  # as Rasa mounts channels

    @app.get("/actions/health")
    async def actions_health(request: Any) -> Any:  # the action server's, stood in
        return response.json({"status": "ok"}, 200 if app.ctx.actions_up else 503)

    app.ctx.actions_up = True
    return app


def agent(app: Sanic, store: Store) -> StandInAgent:
    rasa = StandInAgent()
    rasa.tracker_store = FailSafeTrackerStore(store)
    make_strict(rasa.tracker_store)
    rasa.is_ready = lambda: True  # type: ignore[attr-defined]
    return rasa


def get(app: Sanic, path: str) -> Any:
    async def go() -> Any:
        async with serving(app) as client:
            return await client.get(path)

    return asyncio.run(go())


def test_health_answers_while_the_process_serves(app: Sanic) -> None:
    answer = get(app, "/health")
    assert (answer.status_code, answer.json()) == (200, {"status": "ok"})


def test_not_ready_while_the_model_loads(app: Sanic) -> None:
    answer = get(app, "/ready")
    assert answer.status_code == 503 and answer.json()["checks"] == {"model": "not loaded yet"}


def test_ready_only_when_every_dependency_answers(
    app: Sanic, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store()
    rasa = agent(app, store)
    app.ctx.agent = rasa

    async def scenario() -> list[tuple[int, dict[str, str]]]:
        async with serving(app) as client:
            rasa.action_endpoint = EndpointConfig("http://stand-in/actions/webhook")
            results = []
            # The action server probe goes over HTTP: point it at this app, in-process.
            import bot.ops.health as health

            async def through_app(agent: Any) -> None:
                answer = await client.get("/actions/health")
                if answer.status_code != 200:
                    raise RuntimeError(f"it answered {answer.status_code}")

            monkeypatch.setattr(health, "_action_server", through_app)
            for step in ("all up", "actions down", "store down"):
                app.ctx.actions_up = step != "actions down"
                store.down = step == "store down"
                answer = await client.get("/ready")
                results.append((answer.status_code, answer.json()["checks"]))
            return results

    up, no_actions, no_store = asyncio.run(scenario())
    assert up == (
        200,
        {"model": "ok", "conversations": "ok", "tickets": "ok", "action_server": "ok"},
    )
    assert no_actions[0] == 503 and no_actions[1]["action_server"].endswith("answered 503")
    assert no_store[0] == 503 and "database is locked" in no_store[1]["conversations"]
