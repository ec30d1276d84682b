"""actions/shop.py: the action server's shop, created once; demo data only where allowed."""

from __future__ import annotations

from actions import shop


def test_the_embedded_database_gets_the_demo_shop(shop_db) -> None:
    assert shop.repository().order("100231") is not None


def test_with_demo_data_off_an_empty_database_stays_empty(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("RELAY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("RELAY_SHOP_DB_URL", f"sqlite:///{tmp_path / 'shop.db'}")
    monkeypatch.setenv("RELAY_DEMO_DATA", "no")  # what a PostgreSQL URL gets by default
    shop.reset()
    try:
        assert shop.repository().order("100231") is None
    finally:
        shop.reset()
