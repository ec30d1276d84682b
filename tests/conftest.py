"""Shared fixtures: a seeded shop database, the domain, and tracker factories."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import shop
from bot.services import Clock, Services
from bot.settings import ROOT

pytest_plugins = ["tests.support.services", "tests.support.servers"]

# A Tuesday morning: stores and customer service are open, seed dates derive from it.
FIXED_NOW = "2026-11-24T11:00:00"


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    """domain.yml as the action server receives it."""
    with (ROOT / "domain.yml").open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@pytest.fixture
def shop_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh, seeded SQLite shop database used by the actions for one test."""
    monkeypatch.setenv("RELAY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("RELAY_SHOP_DB_URL", f"sqlite:///{tmp_path / 'shop.db'}")
    monkeypatch.setenv("RELAY_NOW", FIXED_NOW)
    monkeypatch.delenv("RELAY_FACTS_FILE", raising=False)
    services = Services.from_settings()
    assert services.repository  # creates and seeds the database
    shop.use(services)
    yield tmp_path / "shop.db"


@pytest.fixture(autouse=True)
def action_services() -> Iterator[None]:
    """Each test's actions use the services it gives them (shop.use), or fresh ones."""
    shop.use(None)
    yield
    shop.use(None)


@pytest.fixture
def at_time(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Moves the shop's clock (after the database was seeded)."""

    def move(moment: str) -> None:
        monkeypatch.setenv("RELAY_NOW", moment)
        current = shop.services()
        shop.use(current.replaced(clock=Clock(current.facts.timezone, moment)))

    return move


TrackerFactory = Callable[..., Tracker]


@pytest.fixture
def tracker() -> TrackerFactory:
    """Builds a Tracker from slots and the latest message, as the action server would."""

    def build(
        slots: dict[str, Any] | None = None,
        intent: str = "greet",
        text: str = "",
        entities: list[dict[str, Any]] | None = None,
        intent_ranking: list[dict[str, Any]] | None = None,
        sender_id: str = "test-user",
        active_loop: str | None = None,
        events: list[dict[str, Any]] | None = None,
    ) -> Tracker:
        latest_message = {
            "text": text,
            "intent": {"name": intent, "confidence": 1.0},
            "intent_ranking": intent_ranking or [{"name": intent, "confidence": 1.0}],
            "entities": entities or [],
        }
        return Tracker(
            sender_id=sender_id,
            slots=dict(slots or {}),
            latest_message=latest_message,
            events=events or [],
            paused=False,
            followup_action=None,
            active_loop={"name": active_loop} if active_loop else {},
            latest_action_name="action_listen",
        )

    return build


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


def responses(dispatcher: CollectingDispatcher) -> list[str]:
    """The names of the responses an action chose, in order."""
    return [message.get("response") for message in dispatcher.messages]


@pytest.fixture
def chosen() -> Callable[[CollectingDispatcher], list[str]]:
    return responses
