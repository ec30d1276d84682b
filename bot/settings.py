"""Relay's settings, read from the environment in one place.

Every process (Rasa server, action server, tools) calls `load_settings()` when it
starts; nothing here runs at import time.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.handoff.webhook_fields import DEFAULT_FIELDS, parse_fields

ROOT = Path(__file__).resolve().parent.parent

DEFAULT_DATA_DIR = ROOT / "var"
DEFAULT_FACTS_FILE = ROOT / "shop" / "facts.yml"
DEFAULT_HANDOFF_FILE = ROOT / "shop" / "handoff.yml"
TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off")


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
        action_timeout: Seconds the Rasa server waits for the action server before
            answering the customer itself (bot/ops/action_guard.py).
        tracker_dialect: Tracker store's SQL dialect (endpoints.yml `tracker_store`).
        tracker_host: Its host (`host:port`, or a whole URL); None for SQLite.
        tracker_db: Its database (for SQLite the file); None: `data_dir/tracker.db`.
        tracker_user: Its user name.
        tracker_password: Its password.
        tracker_threads: Whether the tracker store's database work runs in worker threads
            instead of on the Rasa server's event loop (RELAY_TRACKER_THREADS, on by
            default; `0` leaves Rasa's store as it is: bot/ops/threaded_tracker_store.py).
        retention_days: Conversations and closed tickets older than this are purged;
            None keeps them forever.
        redact: Whether emails, phone and card numbers are redacted from the transcripts
            stored with handoff tickets.
        webhook_fields: The ticket fields the webhook may send (RELAY_WEBHOOK_FIELDS, comma-
            separated, or `all`); by default those without personal data (see
            `bot/handoff/webhook_fields.py`).
        demo_data: Whether an empty shop database gets the demo shop's data on first use
            (RELAY_DEMO_DATA; by default only the embedded SQLite one, never a server's
            database such as PostgreSQL: there `make demo-data` seeds it on purpose).
        redis_url: The Redis (RELAY_REDIS_URL, e.g. `redis://host:6379/0`) where the state
            several Rasa server processes must share is kept: flood and sign-in counts,
            Telegram's pacing and long button payloads (bot/shared_redis.py). None keeps
            it in each process's memory, which is right for one process only.
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
    action_timeout: float = 10.0
    tracker_dialect: str = "sqlite"
    tracker_host: str | None = None
    tracker_db: str | None = None
    tracker_user: str | None = None
    tracker_password: str | None = None
    tracker_threads: bool = True
    demo_data: bool = True
    retention_days: int | None = None
    redact: bool = False
    webhook_fields: tuple[str, ...] = DEFAULT_FIELDS
    redis_url: str | None = None

    @property
    def tracker_db_url(self) -> str:
        """SQLAlchemy URL of Rasa's tracker store, built as Rasa builds it from endpoints.yml."""
        from urllib.parse import urlsplit

        from sqlalchemy.engine.url import URL

        host, port = self.tracker_host, None
        if host and "://" in host:
            return host
        if host:  # may name the port too, as Rasa accepts
            parsed = urlsplit(f"scheme://{host}")
            host, port = parsed.hostname or host, parsed.port
        url = URL.create(
            self.tracker_dialect,
            username=self.tracker_user,
            password=self.tracker_password,
            host=host,
            port=port,
            database=self.tracker_db or str(self.data_dir / "tracker.db"),
        )
        rendered: str = url.render_as_string(hide_password=False)
        return rendered


def _positive_int(env: Mapping[str, str], name: str) -> int | None:
    value = (env.get(name) or "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{name} must be a whole number of days (1 or more), not {value!r}")
    return int(value)


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    value = (env.get(name) or "").strip()
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds <= 600:
        raise ValueError(f"{name} must be a number of seconds (more than 0, at most 600)")
    return seconds


def _flag(env: Mapping[str, str], name: str) -> bool:
    value = (env.get(name) or "").strip().lower()
    if value in TRUE:
        return True
    if value in FALSE or not value:
        return False
    raise ValueError(f"{name} must be one of {TRUE + FALSE}, not {value!r}")


def _flag_or(env: Mapping[str, str], name: str, default: bool) -> bool:
    return _flag(env, name) if (env.get(name) or "").strip() else default


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Reads Relay's settings from `environ` (defaults to `os.environ`).

    Raises:
        ValueError: RELAY_RETENTION_DAYS or RELAY_REDACT has a value they cannot take.
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
        secure_cookies=_flag(env, "RELAY_SECURE_COOKIES"),
        action_timeout=_seconds(env, "RELAY_ACTION_TIMEOUT", 10.0),
        tracker_dialect=env.get("RELAY_TRACKER_DIALECT") or "sqlite",
        tracker_host=env.get("RELAY_TRACKER_HOST") or None,
        tracker_db=env.get("RELAY_TRACKER_DB") or None,
        tracker_user=env.get("RELAY_TRACKER_USER") or None,
        tracker_password=env.get("RELAY_TRACKER_PASSWORD") or None,
        tracker_threads=_flag_or(env, "RELAY_TRACKER_THREADS", True),
        retention_days=_positive_int(env, "RELAY_RETENTION_DAYS"),
        redact=_flag(env, "RELAY_REDACT"),
        webhook_fields=parse_fields(env.get("RELAY_WEBHOOK_FIELDS")),
        demo_data=_flag_or(env, "RELAY_DEMO_DATA", shop_db_url.startswith("sqlite")),
        redis_url=(env.get("RELAY_REDIS_URL") or "").strip() or None,
    )
