"""A Relay with Telegram on (its Bot API a local stand-in) and REST as it ships: anonymous.

Shared by test_telegram.py and test_identity.py, so the servers start once for both.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import FIXED_NOW
from tests.e2e import telegram_api
from tests.e2e.console import create_agents
from tests.e2e.servers import Relay, start
from tests.e2e.telegram_api import TelegramApi

TELEGRAM_SECRET = "e2e-telegram-secret"
IDENTITY_SECRET = "e2e-shop-identity-secret-of-some-length"


@pytest.fixture(scope="session")
def api() -> Iterator[TelegramApi]:
    server = TelegramApi().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def telegram_relay(tmp_path_factory: pytest.TempPathFactory, api: TelegramApi) -> Iterator[Relay]:
    data_dir = tmp_path_factory.mktemp("relay-telegram")
    create_agents(data_dir)
    running = start(
        data_dir,
        {
            "RELAY_NOW": FIXED_NOW,
            "TELEGRAM_BOT_TOKEN": telegram_api.TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
            "TELEGRAM_BASE_URL": api.base_url,
            # The REST channel as it ships: no token, every caller anonymous.
            "RELAY_REST_TOKEN": "",
            "RELAY_REST_SENDERS_ARE_CUSTOMERS": "",
            "RELAY_WIDGET_IDENTITY_SECRET": IDENTITY_SECRET,
        },
    )
    yield running
    running.stop()
