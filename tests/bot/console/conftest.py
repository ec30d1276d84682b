"""What the console's tests share: an agents file with Alice, the environment pointing at it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.handoff.agents import add_agent


@pytest.fixture
def agents_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "agents.yml"
    add_agent(path, "alice", "Alice Moreau", "a-long-password")
    monkeypatch.setenv("RELAY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("RELAY_AGENTS_FILE", str(path))
    return path
