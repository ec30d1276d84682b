"""bot/settings.py: Relay's settings from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.handoff.webhook_fields import DEFAULT_FIELDS, FIELDS, UnknownWebhookField
from bot.settings import (
    DEFAULT_DATA_DIR,
    DEFAULT_FACTS_FILE,
    DEFAULT_HANDOFF_FILE,
    ROOT,
    Settings,
    load_settings,
)


def test_root_is_the_project_folder():
    assert (ROOT / "domain.yml").is_file()
    assert DEFAULT_FACTS_FILE == ROOT / "shop" / "facts.yml"
    assert DEFAULT_FACTS_FILE.is_file()
    assert DEFAULT_HANDOFF_FILE.is_file()


def test_defaults_without_environment():
    assert load_settings({}) == Settings(
        data_dir=DEFAULT_DATA_DIR,
        shop_db_url=f"sqlite:///{DEFAULT_DATA_DIR / 'shop.db'}",
        facts_file=DEFAULT_FACTS_FILE,
        now=None,
        handoff_file=DEFAULT_HANDOFF_FILE,
        agents_file=DEFAULT_DATA_DIR / "agents.yml",
        webhook_url=None,
        webhook_secret=None,
    )


def test_values_from_the_environment():
    settings = load_settings(
        {
            "RELAY_DATA_DIR": "/srv/relay",
            "RELAY_SHOP_DB_URL": "postgresql://relay@db/shop",
            "RELAY_FACTS_FILE": "/etc/relay/facts.yml",
            "RELAY_NOW": "2026-11-24T11:00:00",
            "RELAY_HANDOFF_FILE": "/etc/relay/handoff.yml",
            "RELAY_AGENTS_FILE": "/etc/relay/agents.yml",
            "RELAY_WEBHOOK_URL": "https://helpdesk.example/hooks/relay",
            "RELAY_WEBHOOK_SECRET": "s3cret",
        }
    )
    assert settings == Settings(
        data_dir=Path("/srv/relay"),
        shop_db_url="postgresql://relay@db/shop",
        facts_file=Path("/etc/relay/facts.yml"),
        now="2026-11-24T11:00:00",
        handoff_file=Path("/etc/relay/handoff.yml"),
        agents_file=Path("/etc/relay/agents.yml"),
        webhook_url="https://helpdesk.example/hooks/relay",
        webhook_secret="s3cret",
    )


def test_webhook_fields_default_to_those_without_personal_data():
    assert load_settings({}).webhook_fields == DEFAULT_FIELDS
    assert "customer" not in DEFAULT_FIELDS and "conversation_id" not in DEFAULT_FIELDS


def test_webhook_fields_from_the_environment():
    chosen = load_settings({"RELAY_WEBHOOK_FIELDS": "status, customer.email"})
    assert chosen.webhook_fields == ("id", "status", "customer.email")
    assert load_settings({"RELAY_WEBHOOK_FIELDS": "all"}).webhook_fields == FIELDS


def test_an_unknown_webhook_field_stops_the_start():
    with pytest.raises(UnknownWebhookField, match="RELAY_WEBHOOK_FIELDS names unknown .*: emial"):
        load_settings({"RELAY_WEBHOOK_FIELDS": "status,emial"})


def test_database_follows_the_data_dir():
    settings = load_settings({"RELAY_DATA_DIR": "/srv/relay"})
    assert settings.shop_db_url == "sqlite:////srv/relay/shop.db"


def test_empty_values_fall_back_to_defaults():
    settings = load_settings({"RELAY_SHOP_DB_URL": "", "RELAY_NOW": ""})
    assert settings.shop_db_url == f"sqlite:///{DEFAULT_DATA_DIR / 'shop.db'}"
    assert settings.now is None


def test_reads_os_environ_by_default(monkeypatch, tmp_path):
    monkeypatch.setenv("RELAY_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("RELAY_SHOP_DB_URL", raising=False)
    monkeypatch.setenv("RELAY_NOW", "2026-12-25T12:00:00")

    settings = load_settings()

    assert settings.data_dir == tmp_path
    assert settings.shop_db_url == f"sqlite:///{tmp_path / 'shop.db'}"
    assert settings.now == "2026-12-25T12:00:00"
