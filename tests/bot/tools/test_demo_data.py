"""bot/tools/demo_data.py: the demo shop's data, loaded on purpose into an empty database."""

from __future__ import annotations

from datetime import date

import pytest

from bot.shop.repository import ShopRepository, init_db, make_engine
from bot.tools import demo_data

TODAY = date(2026, 11, 24)


@pytest.fixture
def shop_url(tmp_path, monkeypatch) -> str:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    monkeypatch.setenv("RELAY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("RELAY_SHOP_DB_URL", url)
    return url


def test_an_empty_database_gets_the_demo_shop(shop_url, capsys) -> None:
    engine = make_engine(shop_url)
    init_db(engine, TODAY, demo=False)  # as a server's database starts: empty
    assert ShopRepository(engine).order("100231") is None
    assert demo_data.main([]) == 0
    assert "Loaded the demo shop's data" in capsys.readouterr().out
    assert ShopRepository(engine).order("100231") is not None


def test_a_database_with_customers_is_left_alone(shop_url, capsys) -> None:
    assert demo_data.main([]) == 0
    assert demo_data.main([]) == 0
    assert "already has customers; left as it is" in capsys.readouterr().out
