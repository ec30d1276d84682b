"""actions/shop.py: the action server's services, built once; tests give their own."""

from __future__ import annotations

from pathlib import Path

import pytest

from actions import shop
from bot.services import Services
from bot.settings import load_settings


def test_the_embedded_database_gets_the_demo_shop(shop_db) -> None:
    assert shop.services().repository.order("100231") is not None


def test_with_demo_data_off_an_empty_database_stays_empty(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("RELAY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("RELAY_SHOP_DB_URL", f"sqlite:///{tmp_path / 'shop.db'}")
    monkeypatch.setenv("RELAY_DEMO_DATA", "no")  # what a PostgreSQL URL gets by default
    assert shop.services().repository.order("100231") is None


def test_the_services_are_built_once_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RELAY_DATA_DIR", str(tmp_path))
    first = shop.services()
    assert first is shop.services()
    assert first.settings.data_dir == tmp_path
    assert not (tmp_path / "shop.db").exists()  # nothing connects until an action needs it


def test_use_gives_the_actions_other_services_and_none_goes_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    given = Services(load_settings({"RELAY_DATA_DIR": str(tmp_path)}))
    shop.use(given)
    assert shop.services() is given
    shop.use(None)
    assert shop.services() is not given
