"""Services (bot/services.py) for a test: on a fresh SQLite file in a temporary directory.

The `services`, `store` and `outbox` fixtures are every test's (tests/conftest.py loads
this module).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.channels.outbox import Outbox
from bot.handoff.tickets import TicketStore
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


@pytest.fixture
def services(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Services:
    """The Rasa server's services on a fresh SQLite file in the test's directory."""
    return services_in(tmp_path, monkeypatch)


@pytest.fixture
def store(services: Services) -> TicketStore:
    """Their ticket store."""
    return services.tickets


@pytest.fixture
def outbox(services: Services) -> Outbox:
    """Their outbox, in the same database."""
    return services.outbox
