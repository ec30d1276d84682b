"""Relay's settings, read from the environment in one place.

Every process (Rasa server, action server, tools) calls `load_settings()` when it
starts; nothing here runs at import time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from bot.handoff.webhook_fields import DEFAULT_FIELDS, parse_fields

ROOT = Path(__file__).resolve().parent.parent

DEFAULT_DATA_DIR = ROOT / "var"
DEFAULT_FACTS_FILE = ROOT / "shop" / "facts.yml"
DEFAULT_HANDOFF_FILE = ROOT / "shop" / "handoff.yml"


@dataclass(frozen=True)
class Settings:
    """Typed view of Relay's environment variables.

    Attributes:
        data_dir: Directory for runtime files (SQLite databases); never committed.
        shop_db_url: SQLAlchemy URL of the shop's database.
        facts_file: YAML file with the shop's business facts.
        now: Fixed "current time" in ISO format, for reproducible tests and demos.
        handoff_file: YAML file with the handoff rules (reasons, priorities, queue).
        agents_file: YAML file with the console's agents and their password hashes.
        webhook_url: Where ticket events are POSTed (optional).
        webhook_secret: Key of the HMAC signature of those POSTs (required with the URL).
        secure_cookies: Mark the console's cookies `Secure` even when the request arrived
            over plain HTTP (a proxy in front terminates TLS); over HTTPS they always are.
        webhook_fields: The ticket fields the webhook may send (RELAY_WEBHOOK_FIELDS, comma-
            separated, or `all`); by default those without personal data (see
            `bot/handoff/webhook_fields.py`).
    """

    data_dir: Path
    shop_db_url: str
    facts_file: Path
    now: str | None = None
    handoff_file: Path = DEFAULT_HANDOFF_FILE
    agents_file: Path | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = None
    secure_cookies: bool = False
    webhook_fields: tuple[str, ...] = DEFAULT_FIELDS


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Reads Relay's settings from `environ` (defaults to `os.environ`).

    Raises:
        UnknownWebhookField: RELAY_WEBHOOK_FIELDS names a field tickets don't have (a typo
            stops the process at start-up rather than silently sending less).
    """
    env = os.environ if environ is None else environ
    data_dir = Path(env.get("RELAY_DATA_DIR") or DEFAULT_DATA_DIR)
    shop_db_url = env.get("RELAY_SHOP_DB_URL") or f"sqlite:///{data_dir / 'shop.db'}"
    facts_file = Path(env.get("RELAY_FACTS_FILE") or DEFAULT_FACTS_FILE)
    return Settings(
        data_dir=data_dir,
        shop_db_url=shop_db_url,
        facts_file=facts_file,
        now=env.get("RELAY_NOW") or None,
        handoff_file=Path(env.get("RELAY_HANDOFF_FILE") or DEFAULT_HANDOFF_FILE),
        agents_file=Path(env.get("RELAY_AGENTS_FILE") or data_dir / "agents.yml"),
        webhook_url=env.get("RELAY_WEBHOOK_URL") or None,
        webhook_secret=env.get("RELAY_WEBHOOK_SECRET") or None,
        secure_cookies=(env.get("RELAY_SECURE_COOKIES") or "").lower() in ("1", "true", "yes"),
        webhook_fields=parse_fields(env.get("RELAY_WEBHOOK_FIELDS")),
    )
