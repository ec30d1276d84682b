"""Services (bot/services.py) for a test: on a fresh SQLite file in a temporary directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.services import Services


def services_in(
    directory: Path, monkeypatch: pytest.MonkeyPatch, database: str = "tickets.db"
) -> Services:
    """Services whose data directory is `directory` and database `directory/database`,
    with no webhook URL; the environment says the same, for code that reads it."""
    monkeypatch.setenv("RELAY_DATA_DIR", str(directory))
    monkeypatch.setenv("RELAY_SHOP_DB_URL", f"sqlite:///{directory / database}")
    monkeypatch.delenv("RELAY_WEBHOOK_URL", raising=False)
    return Services.from_settings()
