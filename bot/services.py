"""Relay's services: one object per process, built from the settings at start-up.

The Rasa server keeps it on its Sanic app's context (`of_app`); the action server
builds one when its first action runs (`actions/shop.py`). Functions receive it, or
what they use of it, instead of reaching for module-level caches; tests build their
own and pass in the stores they want.

Nothing connects at construction: each service is made on first use and kept (the
ticket store creates its schema, the shop's repository creates and, where
RELAY_DEMO_DATA allows it, seeds its database, the webhook delivers what a restart
left pending), and all share one engine on the shop's database.

State that the Rasa server's processes must share (flood and sign-in counts,
Telegram's pacing and long button payloads) is kept in Redis when RELAY_REDIS_URL
is set (bot/shared_redis.py), and in the process's memory otherwise (one process).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any, Generic, TypeVar, cast, overload

from sqlalchemy.engine import Engine

from bot.channels.callback_data import LocalPayloads, PayloadMap
from bot.channels.flood import Floodgate
from bot.channels.outbox import Outbox
from bot.channels.rate_limit import Pacer, RateLimiter
from bot.channels.redis_callback_data import RedisPayloads
from bot.channels.redis_rate_limit import RedisRateLimiter
from bot.channels.replies import Replies
from bot.handoff.agents import Agent, load_agents
from bot.handoff.auth import Devices, Hasher, Sessions, SignInGuard, console_secret
from bot.handoff.rules import HandoffRules, load_rules
from bot.handoff.tickets import TicketStore
from bot.handoff.webhook import Webhook
from bot.redis_window import RedisWindow
from bot.settings import Settings, load_settings
from bot.shared_redis import SharedRedis
from bot.shop.facts import ShopFacts, load_facts
from bot.shop.lookup_limits import LookupLimits
from bot.shop.repository import ShopRepository, init_db, make_engine
from bot.sliding_window import Limit, LocalWindow, RecentEvents

logger = logging.getLogger(__name__)

T = TypeVar("T")
CONTEXT_KEY = "services"


@dataclass(frozen=True)
class Clock:
    """The shop's current time: `fixed` (RELAY_NOW, for tests and demos) or the wall clock.

    Attributes:
        timezone: The shop's timezone (from its facts).
        fixed: An ISO time; without an offset it is taken in the shop's timezone.
    """

    timezone: tzinfo
    fixed: str | None = None

    def now(self) -> datetime:
        """The current time in the shop's timezone."""
        if self.fixed:
            moment = datetime.fromisoformat(self.fixed)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=self.timezone)
            return moment.astimezone(self.timezone)
        return datetime.now(self.timezone)

    def today(self) -> date:
        return self.now().date()


# What the Rasa server's channels, console and gate use from their first request on,
# each after what it is made from (warm(): made at start-up, off the event loop). The
# shop's repository and look-up limits are the action server's.
WARM = (
    "engine",
    "facts",
    "clock",
    "replies",
    "rules",
    "tickets",
    "outbox",
    "sessions",
    "devices",
    "redis",
    "guard",
    "hasher",
    "telegram_limiter",
    "telegram_payloads",
    "webhook",
)


class _Once(Generic[T]):
    """A service made from the others on first use, then kept (or given when built)."""

    def __init__(self, make: Callable[[Services], T]) -> None:
        self._make = make
        self._name = make.__name__

    @overload
    def __get__(self, services: None, owner: type[Services]) -> _Once[T]: ...

    @overload
    def __get__(self, services: Services, owner: type[Services]) -> T: ...

    def __get__(self, services: Services | None, owner: type[Services]) -> _Once[T] | T:
        if services is None:
            return self
        made = services._made
        if self._name not in made:
            with services._lock:  # two threads' first calls make one store, not two
                if self._name not in made:
                    made[self._name] = self._make(services)
        return cast(T, made[self._name])


class Services:
    """What the handoff core, the channels, the console and the actions use.

    Args:
        settings: The process's settings.
        Every other argument is a service to use instead of the one the settings
        describe (tests pass their own stores); None makes it on first use.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        engine: Engine | None = None,
        facts: ShopFacts | None = None,
        clock: Clock | None = None,
        tickets: TicketStore | None = None,
        rules: HandoffRules | None = None,
        webhook: Webhook | None = None,
        repository: ShopRepository | None = None,
        lookup_limits: LookupLimits | None = None,
        sessions: Sessions | None = None,
        devices: Devices | None = None,
        guard: SignInGuard | None = None,
        hasher: Hasher | None = None,
        redis: SharedRedis | None = None,
        telegram_limiter: Pacer | None = None,
        telegram_payloads: PayloadMap | None = None,
        outbox: Outbox | None = None,
        replies: Replies | None = None,
    ) -> None:
        self.settings = settings
        given: dict[str, Any] = {
            "engine": engine,
            "facts": facts,
            "clock": clock,
            "tickets": tickets,
            "rules": rules,
            "webhook": webhook,
            "repository": repository,
            "lookup_limits": lookup_limits,
            "sessions": sessions,
            "devices": devices,
            "guard": guard,
            "hasher": hasher,
            "redis": redis,
            "telegram_limiter": telegram_limiter,
            "telegram_payloads": telegram_payloads,
            "outbox": outbox,
            "replies": replies,
        }
        self._made = {name: service for name, service in given.items() if service is not None}
        self._lock = threading.RLock()

    def replaced(self, **given: Any) -> Services:
        """These services with `given` ones instead (keyword names as the constructor's);
        the ones made so far are shared."""
        copy = Services(self.settings, **given)
        copy._made = {**self._made, **copy._made}
        return copy

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Services:
        """The services the settings (by default the environment's) describe."""
        return cls(settings or load_settings())

    @_Once
    def engine(self) -> Engine:
        """The shop's database, which also holds the tickets, sessions and outbox."""
        return make_engine(self.settings.shop_db_url)

    @_Once
    def facts(self) -> ShopFacts:
        return load_facts(self.settings.facts_file)

    @_Once
    def clock(self) -> Clock:
        return Clock(self.facts.timezone, self.settings.now)

    @_Once
    def tickets(self) -> TicketStore:
        """Handoff tickets, in the same database as the shop's data."""
        return TicketStore(self.engine, redaction=self.settings.redact)

    @_Once
    def outbox(self) -> Outbox:
        """What polled channels (REST, the widget) fetch, in the tickets' database."""
        return Outbox(self.engine)

    @_Once
    def replies(self) -> Replies:
        """The domain's sentences that channels say themselves."""
        return Replies()

    @_Once
    def rules(self) -> HandoffRules:
        return load_rules(self.settings.handoff_file)

    @_Once
    def webhook(self) -> Webhook:
        """Ticket events for RELAY_WEBHOOK_URL; delivers pending ones at once, if any."""
        given = self.settings
        return Webhook(self.engine, given.webhook_url, given.webhook_secret, given.webhook_fields)

    @_Once
    def repository(self) -> ShopRepository:
        """The shop's data; a fresh database gets its schema (and the demo data if allowed)."""
        init_db(self.engine, self.clock.today(), demo=self.settings.demo_data)
        return ShopRepository(self.engine)

    @_Once
    def lookup_limits(self) -> LookupLimits:
        """Visitors' order look-ups, counted in the shop's database."""
        return LookupLimits(self.engine)

    @_Once
    def sessions(self) -> Sessions:
        """Console sessions, in the database every process shares."""
        return Sessions(self.engine)

    @_Once
    def devices(self) -> Devices:
        return Devices(console_secret(self.settings.data_dir))

    @_Once
    def redis(self) -> SharedRedis | None:
        """The Redis the processes share state in (RELAY_REDIS_URL); None: each its own memory."""
        url = self.settings.redis_url
        return SharedRedis(url) if url else None

    def window(self, name: str, limit: Limit) -> RecentEvents:
        """A new sliding window named `name` (unique among Relay's), in Redis if there is one."""
        shared = self.redis
        return RedisWindow(shared, name, limit) if shared else LocalWindow(limit)

    def floodgate(self, channel: str) -> Floodgate:
        """The brake on floods of `channel`'s messages (made on first use, then kept)."""
        name = f"floodgate.{channel}"
        with self._lock:
            if name not in self._made:
                self._made[name] = Floodgate(
                    windows=lambda kind, limit: self.window(f"flood:{channel}:{kind}", limit)
                )
            return cast(Floodgate, self._made[name])

    @_Once
    def guard(self) -> SignInGuard:
        """The brake on console password guessing, counted across processes with Redis."""
        return SignInGuard(windows=lambda kind, limit: self.window(f"sign-in:{kind}", limit))

    @_Once
    def telegram_limiter(self) -> Pacer:
        """Paces the Telegram bot's messages: with Redis, all processes' sends together."""
        shared = self.redis
        return RedisRateLimiter(shared) if shared else RateLimiter()

    @_Once
    def telegram_payloads(self) -> PayloadMap:
        """Long Telegram button payloads: with Redis, any process can read a press."""
        shared = self.redis
        return RedisPayloads(shared) if shared else LocalPayloads()

    @_Once
    def hasher(self) -> Hasher:
        return Hasher()

    def warm(self, names: tuple[str, ...] = WARM) -> list[str]:
        """Makes the services `names` now, so no request pays for them on the event loop.

        Blocking (files, the database's schema, a fresh SQLite's demo data): the Rasa
        server calls it in a worker thread as it starts. A service that can't be made
        now (its database is down) is left to be made on first use, as it would be
        without this, and logged.

        Returns:
            The names of the services that could not be made.
        """
        failed = []
        for name in names:
            try:
                getattr(self, name)
            except Exception as error:  # the server still starts; first use tries again
                logger.warning("%s not ready at start-up (%s): made on first use", name, error)
                failed.append(name)
        return failed

    def agents(self) -> dict[str, Agent]:
        """Read on every call, so an agent added with `make agent` can sign in at once."""
        path = self.settings.agents_file
        return load_agents(path) if path else {}


def of_app(app: Any) -> Services:
    """The Rasa server's services, on its Sanic app's context.

    Built from the environment when the server starts (the channels' listeners ask
    first, bot/channels/served.py), unless a test put its own there.
    """
    found = getattr(app.ctx, CONTEXT_KEY, None)
    if found is None:
        found = Services.from_settings()
        setattr(app.ctx, CONTEXT_KEY, found)
    return cast(Services, found)
