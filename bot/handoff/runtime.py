"""The handoff services of the Rasa server process, created on first use.

(The action server has its own in `actions/shop.py`; both read the same settings
and database.)
"""

from __future__ import annotations

from functools import lru_cache

from bot.handoff.agents import Agent, load_agents
from bot.handoff.auth import Devices, Hasher, Sessions, SignInGuard, console_secret
from bot.handoff.rules import HandoffRules, load_rules
from bot.handoff.tickets import TicketStore
from bot.handoff.webhook import Webhook
from bot.settings import Settings, load_settings
from bot.shop.repository import make_engine


@lru_cache(maxsize=1)
def settings() -> Settings:
    return load_settings()


@lru_cache(maxsize=1)
def store() -> TicketStore:
    return TicketStore(make_engine(settings().shop_db_url), redaction=settings().redact)


@lru_cache(maxsize=1)
def rules() -> HandoffRules:
    return load_rules(settings().handoff_file)


@lru_cache(maxsize=1)
def webhook() -> Webhook:
    """Ticket events for RELAY_WEBHOOK_URL; delivers pending ones at once, if there are any."""
    given = settings()
    engine = make_engine(given.shop_db_url)
    return Webhook(engine, given.webhook_url, given.webhook_secret, given.webhook_fields)


@lru_cache(maxsize=1)
def sessions() -> Sessions:
    """Console sessions, in the ticket database every process shares."""
    return Sessions(make_engine(settings().shop_db_url))


@lru_cache(maxsize=1)
def devices() -> Devices:
    return Devices(console_secret(settings().data_dir))


@lru_cache(maxsize=1)
def guard() -> SignInGuard:
    return SignInGuard()


@lru_cache(maxsize=1)
def hasher() -> Hasher:
    return Hasher()


def agents() -> dict[str, Agent]:
    """Read on every call, so an agent added with `make agent` can sign in at once."""
    path = settings().agents_file
    return load_agents(path) if path else {}


def reset() -> None:
    for cached in (settings, store, rules, webhook, sessions, devices, guard, hasher):
        cached.cache_clear()
