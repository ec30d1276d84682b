"""Access to the shop's data, facts and clock for actions, created once per process.

Nothing connects at import time: the first action that needs the database
creates the engine and, on a fresh database, the schema (and the demo data where
RELAY_DEMO_DATA allows it: by default on the embedded SQLite database only).
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from bot.handoff.rules import HandoffRules, load_rules
from bot.handoff.tickets import TicketStore
from bot.handoff.webhook import Webhook
from bot.settings import Settings, load_settings
from bot.shop.facts import ShopFacts, load_facts
from bot.shop.lookup_limits import LookupLimits
from bot.shop.repository import ShopRepository, init_db, make_engine


@lru_cache(maxsize=1)
def settings() -> Settings:
    return load_settings()


@lru_cache(maxsize=1)
def facts() -> ShopFacts:
    return load_facts(settings().facts_file)


def now() -> datetime:
    """The current time in the shop's timezone (fixed by RELAY_NOW in tests and demos)."""
    fixed = settings().now
    if fixed:
        moment = datetime.fromisoformat(fixed)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=facts().timezone)
        return moment.astimezone(facts().timezone)
    return datetime.now(facts().timezone)


def today() -> date:
    return now().date()


@lru_cache(maxsize=1)
def repository() -> ShopRepository:
    engine = make_engine(settings().shop_db_url)
    init_db(engine, today(), demo=settings().demo_data)
    return ShopRepository(engine)


@lru_cache(maxsize=1)
def lookup_limits() -> LookupLimits:
    """Visitors' order look-ups, counted in the shop's database."""
    return LookupLimits(make_engine(settings().shop_db_url))


@lru_cache(maxsize=1)
def tickets() -> TicketStore:
    """Handoff tickets, in the same database as the shop's data."""
    return TicketStore(make_engine(settings().shop_db_url), redaction=settings().redact)


@lru_cache(maxsize=1)
def handoff_rules() -> HandoffRules:
    return load_rules(settings().handoff_file)


@lru_cache(maxsize=1)
def webhook() -> Webhook:
    """Ticket events for RELAY_WEBHOOK_URL; delivers pending ones at once, if there are any."""
    given = settings()
    engine = make_engine(given.shop_db_url)
    return Webhook(engine, given.webhook_url, given.webhook_secret, given.webhook_fields)


def reset() -> None:
    """Forgets the cached settings, facts and databases (used by tests)."""
    for cached in (settings, facts, repository, lookup_limits, tickets, handoff_rules, webhook):
        cached.cache_clear()
