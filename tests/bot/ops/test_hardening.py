"""bot/ops/hardening.py: the agent's conversation store strict and off the loop, once."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore
from rasa.shared.core.domain import Domain

from bot.ops.conversation_store import make_strict
from bot.ops.hardening import harden
from bot.ops.threaded_tracker_store import ThreadedTrackerStore
from tests.support.services import services_in


def agent(folder: Path) -> SimpleNamespace:
    """What harden touches of Rasa's agent: its store as Rasa builds it, no action server."""
    sql = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(folder / "tracker.db"))
    return SimpleNamespace(tracker_store=FailSafeTrackerStore(sql), action_endpoint=None)


def test_the_store_is_made_strict_and_its_database_work_moves_to_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = services_in(tmp_path, monkeypatch)
    rasa = agent(tmp_path)
    store = rasa.tracker_store
    harden(rasa, services)
    harden(rasa, services)  # again, as the gate does before each message: no change
    assert rasa.tracker_store is store  # what the processor holds too
    assert make_strict(store) is False  # already strict
    threaded = store._tracker_store
    assert isinstance(threaded, ThreadedTrackerStore)
    assert isinstance(threaded.inner, SQLTrackerStore)


def test_relay_tracker_threads_0_leaves_rasas_store_on_the_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RELAY_TRACKER_THREADS", "0")
    rasa = agent(tmp_path)
    harden(rasa, services_in(tmp_path, monkeypatch))
    assert isinstance(rasa.tracker_store._tracker_store, SQLTrackerStore)
    assert make_strict(rasa.tracker_store) is False  # strict all the same
