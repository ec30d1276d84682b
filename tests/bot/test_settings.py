"""bot/settings.py: Relay's settings from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy.engine import make_url

from bot.handoff.webhook_fields import DEFAULT_FIELDS, FIELDS, UnknownWebhookField
from bot.settings import (
    DEFAULT_DATA_DIR,
    DEFAULT_FACTS_FILE,
    DEFAULT_HANDOFF_FILE,
    ROOT,
    Settings,
    load_settings,
)
from bot.tools.services import Ports, environment


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
            "RELAY_TRACKER_DIALECT": "postgresql",
            "RELAY_TRACKER_HOST": "db.internal",
            "RELAY_TRACKER_DB": "conversations",
            "RELAY_TRACKER_USER": "relay",
            "RELAY_TRACKER_PASSWORD": "pw",
            "RELAY_RETENTION_DAYS": "90",
            "RELAY_REDACT": "true",
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
        tracker_dialect="postgresql",
        tracker_host="db.internal",
        tracker_db="conversations",
        tracker_user="relay",
        tracker_password="pw",
        retention_days=90,
        redact=True,
        demo_data=False,  # a PostgreSQL shop is never seeded with the demo by itself
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


def test_tracker_store_defaults_to_sqlite_in_the_data_dir():
    assert load_settings({}).tracker_db_url == f"sqlite:///{DEFAULT_DATA_DIR / 'tracker.db'}"
    moved = load_settings({"RELAY_DATA_DIR": "/srv/relay"})
    assert moved.tracker_db_url == "sqlite:////srv/relay/tracker.db"


def test_tracker_store_is_where_the_started_processes_put_it(tmp_path, monkeypatch):
    """bot/tools/services.py `environment()` gives Rasa the same tracker store."""
    for name in ("DIALECT", "HOST", "DB", "USER", "PASSWORD"):
        monkeypatch.delenv(f"RELAY_TRACKER_{name}", raising=False)
    settings = load_settings(environment(tmp_path, Ports()))
    assert settings.tracker_db_url == f"sqlite:///{tmp_path / 'tracker.db'}"


@pytest.mark.parametrize(
    "variables",
    [
        {"RELAY_TRACKER_DB": "/srv/relay/conversations.db"},
        {
            "RELAY_TRACKER_DIALECT": "postgresql",
            "RELAY_TRACKER_HOST": "db.internal:5433",
            "RELAY_TRACKER_DB": "rasa",
            "RELAY_TRACKER_USER": "relay",
            "RELAY_TRACKER_PASSWORD": "p@ss/word",
        },
        {
            "RELAY_TRACKER_DIALECT": "postgresql",
            "RELAY_TRACKER_HOST": "db",
            "RELAY_TRACKER_DB": "r",
        },
        {"RELAY_TRACKER_HOST": "postgresql://relay:pw@db:5432/rasa"},
    ],
)
def test_tracker_store_url_is_the_one_rasa_builds_from_endpoints_yml(variables):
    env = {"RELAY_TRACKER_DIALECT": "sqlite", "RELAY_TRACKER_DB": "rasa.db", **variables}
    ours = make_url(load_settings(env).tracker_db_url)
    rasa = make_url(
        SQLTrackerStore.get_db_url(
            env["RELAY_TRACKER_DIALECT"],
            env.get("RELAY_TRACKER_HOST"),
            None,
            env["RELAY_TRACKER_DB"],
            env.get("RELAY_TRACKER_USER"),
            env.get("RELAY_TRACKER_PASSWORD"),
        )
    )
    parts = ("drivername", "username", "password", "host", "port", "database")
    assert [getattr(ours, part) for part in parts] == [getattr(rasa, part) for part in parts]


def test_retention_days():
    assert load_settings({}).retention_days is None
    assert load_settings({"RELAY_RETENTION_DAYS": ""}).retention_days is None
    assert load_settings({"RELAY_RETENTION_DAYS": " 30 "}).retention_days == 30


@pytest.mark.parametrize("value", ["0", "-5", "thirty", "1.5"])
def test_retention_days_must_be_a_positive_number(value):
    with pytest.raises(ValueError, match="RELAY_RETENTION_DAYS must be a whole number of days"):
        load_settings({"RELAY_RETENTION_DAYS": value})


@pytest.mark.parametrize(
    "value, expected",
    [("", False), ("0", False), ("off", False), ("No", False), ("1", True), ("TRUE", True)],
)
def test_redaction_flag(value, expected):
    assert load_settings({"RELAY_REDACT": value}).redact is expected


def test_redaction_flag_refuses_a_typo():
    with pytest.raises(ValueError, match="RELAY_REDACT must be one of"):
        load_settings({"RELAY_REDACT": "ture"})


@pytest.mark.parametrize(
    ("env", "demo"),
    [
        ({}, True),  # the embedded SQLite default
        ({"RELAY_SHOP_DB_URL": "sqlite:////srv/relay/shop.db"}, True),
        ({"RELAY_SHOP_DB_URL": "postgresql://relay@db/shop"}, False),  # never seeded by itself
        ({"RELAY_SHOP_DB_URL": "postgresql://relay@db/shop", "RELAY_DEMO_DATA": "yes"}, True),
        ({"RELAY_DEMO_DATA": "no"}, False),
    ],
)
def test_demo_data_goes_only_into_the_embedded_database_unless_asked(env, demo):
    assert load_settings(env).demo_data is demo


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("  ", None),
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
    ],
)
def test_redis_url(value, expected):
    assert load_settings({} if value is None else {"RELAY_REDIS_URL": value}).redis_url == expected


@pytest.mark.parametrize(
    ("env", "threads"),
    [
        ({}, True),  # on by default
        ({"RELAY_TRACKER_THREADS": ""}, True),
        ({"RELAY_TRACKER_THREADS": "0"}, False),
        ({"RELAY_TRACKER_THREADS": "off"}, False),
        ({"RELAY_TRACKER_THREADS": "1"}, True),
    ],
)
def test_tracker_threads_are_on_unless_turned_off(env, threads):
    assert load_settings(env).tracker_threads is threads
