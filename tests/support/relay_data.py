"""Relay's databases in a temporary folder, filled the way the running servers fill them.

Conversations are saved through Rasa's own SQLTrackerStore (so the `events` table has
Rasa's schema and rows), the shop is seeded with the demo customers, tickets and the
outbox go through TicketStore and look-up counters through LookupLimits.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import insert
from sqlalchemy.engine import Engine

from bot.channels.outbox import Outbox
from bot.channels.telegram_inbox import Inbox
from bot.handoff.models import WebhookDelivery
from bot.handoff.tickets import TicketStore
from bot.privacy.records import SHOP, TRACKER
from bot.shop.lookup_limits import LookupLimits
from bot.shop.repository import ShopRepository, init_db, make_engine

NOW = datetime(2026, 11, 24, 11, 0)  # naive UTC, as the stores keep times
# The slots the conversations set (Rasa logs an error for a slot its domain lacks).
DOMAIN = {"version": "3.1", "slots": {"email": {"type": "any", "mappings": [{"type": "custom"}]}}}


class Clock:
    """A clock the test sets by hand (naive UTC)."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def epoch(moment: datetime) -> float:
    return moment.replace(tzinfo=timezone.utc).timestamp()


@dataclass
class Relay:
    """The tracker store and the shop's database of one test, and the stores on them."""

    folder: Path
    tracker: SQLTrackerStore
    shop: Engine
    clock: Clock
    tickets: TicketStore
    lookups: LookupLimits

    @property
    def tracker_url(self) -> str:
        return f"sqlite:///{self.folder / 'tracker.db'}"

    @property
    def shop_url(self) -> str:
        return f"sqlite:///{self.folder / 'shop.db'}"

    @property
    def engines(self) -> dict[str, Engine]:
        return {TRACKER: self.tracker.engine, SHOP: self.shop}

    def close(self) -> None:
        self.shop.dispose()
        self.tracker.engine.dispose()

    def customer_id(self, email: str) -> int:
        found = ShopRepository(self.shop).customer_by_email(email)
        assert found is not None, email
        return found.id

    def converse(
        self,
        conversation: str,
        *turns: str,
        at: datetime = NOW,
        client: str | None = None,
        slots: dict[str, str] | None = None,
    ) -> None:
        """Saves customer and bot turns a second apart ("bot: ..." is the bot's), then the
        slots, from `at`: a new conversation starts with a session, a known one goes on."""
        moment = epoch(at)
        tracker = asyncio.run(self.tracker.retrieve(conversation))
        events: list[Event] = []
        if tracker is None:
            tracker = DialogueStateTracker(conversation, slots=self.tracker.domain.slots)
            events += [
                ActionExecuted("action_session_start", timestamp=moment),
                SessionStarted(timestamp=moment),
            ]
        for turn in turns:
            moment += 1
            if turn.startswith("bot: "):
                events.append(BotUttered(turn.removeprefix("bot: "), timestamp=moment))
            else:
                metadata = {"relay_client": client} if client else {}
                intent = {"name": "inform", "confidence": 0.9}
                events.append(UserUttered(turn, intent, metadata=metadata, timestamp=moment))
        for name, value in (slots or {}).items():
            events.append(SlotSet(name, value, timestamp=moment))
        for event in events:
            tracker.update(event)
        asyncio.run(self.tracker.save(tracker))

    def ticket(
        self,
        conversation: str,
        customer: dict[str, object] | None = None,
        *,
        at: datetime = NOW,
        closed_after: timedelta | None = None,
        note: str | None = None,
    ) -> int:
        """Opens a ticket at `at` (claimed by alice), with a note; closes it if asked."""
        self.clock.now = at
        ticket = self.tickets.create(
            conversation_id=conversation,
            channel=conversation.partition("-")[0],
            reason_code="asked_for_human",
            explanation="The customer asked for a person",
            priority=3,
            summary="Track an order",
            context={"details": {}},
            transcript=[{"speaker": "customer", "text": "a person please"}],
            customer=customer,
        )
        self.tickets.claim(ticket["id"], "alice")
        if note:
            self.tickets.note(ticket["id"], "alice", note)
        if closed_after is not None:
            self.clock.now = at + closed_after
            self.tickets.close(ticket["id"], "alice", "resolved")
        self.clock.now = NOW
        return int(ticket["id"])

    def push(self, conversation: str, text: str, at: datetime = NOW) -> None:
        self.clock.now = at
        Outbox(self.shop, clock=self.clock).push(conversation, {"text": text})
        self.clock.now = NOW

    def telegram_update(self, update_id: int, chat: str, text: str, at: datetime = NOW) -> None:
        """An update as the Telegram channel records it before handling it."""
        self.clock.now = at
        payload = {"update_id": update_id, "message": {"chat": {"id": int(chat)}, "text": text}}
        Inbox(self.shop, clock=self.clock).record(update_id, chat, payload)
        self.clock.now = NOW

    def webhook_delivery(self, ticket: dict[str, object], at: datetime = NOW) -> None:
        """A ticket event kept for the helpdesk (what the body holds depends on its fields)."""
        with self.shop.begin() as connection:
            connection.execute(
                insert(WebhookDelivery.__table__).values(
                    event="ticket.created",
                    body=json.dumps({"event": "ticket.created", "ticket": ticket}),
                    created_at=at,
                    attempts=0,
                    next_attempt_at=at,
                )
            )

    def look_up(self, conversation: str, client: str | None, subject: str, at: datetime = NOW):
        self.clock.now = at
        self.lookups.record(conversation, client, subject)
        self.clock.now = NOW


def relay_databases(folder: Path) -> Relay:
    """Empty conversations and a seeded shop under `folder` (tracker.db, shop.db)."""
    tracker = SQLTrackerStore(
        domain=Domain.empty(), dialect="sqlite", db=str(folder / "tracker.db")
    )
    shop = make_engine(f"sqlite:///{folder / 'shop.db'}")
    init_db(shop, NOW.date())
    clock = Clock()
    return Relay(
        folder=folder,
        tracker=tracker,
        shop=shop,
        clock=clock,
        tickets=TicketStore(shop, clock=clock),
        lookups=LookupLimits(shop, clock=clock),
    )


MAYA = "maya.patel@example.com"
TOM = "tom.becker@example.org"


def two_customers(relay: Relay) -> Callable[[str], int]:
    """Maya's and Tom's data, with decoys; returns `customer_id(email)`.

    Maya: Telegram (telegram-1001) and the shop's site (site-web-maya); a widget visit
    where she gave her email; a REST conversation of a ticket that has her email only;
    a ticket with a note; an outbox message; look-up counters.
    Tom: his Telegram conversation and ticket, a widget visit, an outbox message and
    look-up counters. Each has a recorded Telegram update; webhook deliveries name Maya's
    conversation, Tom's email, and nobody. A stranger mentions amaya.patel@example.com,
    which is not Maya's.
    """
    maya, tom = relay.customer_id(MAYA), relay.customer_id(TOM)
    relay.converse(
        "telegram-1001", "where is my order?", "bot: It is on its way.", client="telegram:1001"
    )
    relay.converse("site-web-maya", "can I return the mug?", "bot: Yes, within 30 days.")
    relay.converse(
        "widget-visit-maya",
        f"my email is {MAYA} and my phone 07700 900123",
        "bot: Thanks, I found order 100231.",
        client="ip:203.0.113.5",
        slots={"email": MAYA},
    )
    relay.converse("rest-maya-app", "I want a person")
    relay.converse("telegram-1002", "hello", "bot: Hi Tom!", client="telegram:1002")
    relay.converse("widget-visit-tom", f"I am {TOM}", client="ip:198.51.100.7")
    relay.converse("rest-stranger", "write to amaya.patel@example.com please")
    relay.ticket(
        "telegram-1001",
        {"id": maya, "name": "Maya Patel", "email": MAYA},
        note="Prefers email",
        closed_after=timedelta(minutes=5),
    )
    relay.ticket("rest-maya-app", {"name": "Maya", "email": "Maya.Patel@Example.com"})
    relay.ticket("telegram-1002", {"id": tom, "name": "Tom Becker", "email": TOM}, note="VIP")
    relay.push("rest-maya-app", "An agent will reply soon")
    relay.push("rest-stranger", "Hello stranger")
    relay.look_up("widget-visit-maya", "ip:203.0.113.5", "100231")
    relay.look_up("widget-visit-tom", "ip:198.51.100.7", "100150")
    relay.telegram_update(1, "1001", "where is my order?")
    relay.telegram_update(2, "1002", "hello")
    relay.webhook_delivery({"id": 1, "conversation_id": "telegram-1001"})  # fields: all
    relay.webhook_delivery({"id": 3, "customer": {"email": TOM}})
    relay.webhook_delivery({"id": 9, "status": "waiting"})  # the default fields: nobody's
    return relay.customer_id
