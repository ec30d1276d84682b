"""bot/privacy/personal_data.py: one customer's data found, exported and deleted, and
nobody else's."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import select

from bot.handoff.models import Ticket
from bot.privacy.personal_data import FORMAT, NotFound, PersonalData, describe, to_json
from bot.privacy.records import SHOP, Section, Subject
from bot.privacy.stores import erasable_stores
from bot.privacy.tracker_events import EVENTS
from bot.shop.models import Customer
from tests.support.relay_data import MAYA, TOM

MAYAS_CONVERSATIONS = {"telegram-1001", "site-web-maya", "widget-visit-maya", "rest-maya-app"}
TOMS_CONVERSATIONS = {"telegram-1002", "widget-visit-tom"}
# Written only in Tom's or a stranger's data: none may appear in Maya's export.
NOT_MAYAS = ["tom.becker", "Hi Tom", "VIP", "198.51.100.7", "telegram:1002", "stranger", "amaya"]


@pytest.fixture
def data(relay) -> PersonalData:
    return PersonalData(relay.engines, clock=relay.clock)


def comparable(document: dict) -> dict:
    return {key: value for key, value in document.items() if key != "exported_at"}


# Finding


def test_an_email_finds_the_customer_their_channels_tickets_and_visits(data, relay):
    maya = data.find(email=MAYA)
    assert maya.customer_ids == {relay.customer_id(MAYA)}
    assert maya.emails == {MAYA}
    assert maya.conversation_ids == MAYAS_CONVERSATIONS
    assert maya.clients == {"telegram:1001", "ip:203.0.113.5"}
    assert maya.found_through == {
        "rest-maya-app": ("ticket 2",),
        "site-web-maya": ("website_id of shop customer 1",),
        "telegram-1001": ("telegram_id of shop customer 1", "ticket 1"),
        "widget-visit-maya": (f"mentions {MAYA}",),
    }


def test_emails_match_whatever_their_case(data):
    assert data.find(email="  Maya.PATEL@example.com ") == data.find(email=MAYA)


def test_a_customer_id_finds_the_same_as_their_email(data, relay):
    assert data.find(customer_id=relay.customer_id(MAYA)) == data.find(email=MAYA)


def test_a_conversation_its_channel_proves_finds_its_customer(data):
    by_conversation = data.find(conversation_id="telegram-1001")
    assert by_conversation.conversation_ids == MAYAS_CONVERSATIONS
    assert by_conversation.found_through["telegram-1001"][0] == "asked for"


def test_an_anonymous_conversation_finds_itself(data):
    visit = data.find(conversation_id="widget-visit-tom")
    assert visit.conversation_ids == {"widget-visit-tom"}
    assert visit.customer_ids == frozenset()
    assert visit.clients == {"ip:198.51.100.7"}


def test_an_email_nobody_has_finds_nothing(data):
    nobody = data.find(email="nobody@example.com")
    assert nobody.conversation_ids == frozenset()
    assert nobody.customer_ids == frozenset()
    assert set(data.export(nobody)["summary"].values()) == {0}


@pytest.mark.parametrize(
    "asked",
    [{}, {"email": MAYA, "customer_id": 1}, {"email": " "}, {"conversation_id": ""}],
)
def test_find_needs_exactly_one_way_to_name_the_customer(data, asked):
    with pytest.raises(ValueError):
        data.find(**asked)


def test_an_unknown_customer_id_is_not_found(data):
    with pytest.raises(NotFound, match="No shop customer has id 999"):
        data.find(customer_id=999)


# Exporting


def test_the_export_holds_exactly_the_customers_data(data, relay):
    maya = data.find(email=MAYA)
    document = data.export(maya, {"email": MAYA})

    assert list(document)[:2] == ["format", "summary"]
    assert document["format"] == FORMAT
    assert document["summary"] == {
        "conversations": 4,
        "events": 16,
        "tickets": 2,
        "notes": 1,
        "history": 6,
        "outbox": 1,
        "lookup_counters": 2,
        "telegram_updates": 1,
        "webhook_deliveries": 1,
        "shop_customers": 1,
        "orders": 3,
    }
    assert document["asked_for"] == {"email": MAYA}
    assert document["exported_at"] == "2026-11-24T11:00:00+00:00"
    assert document["subject"] == describe(maya)
    assert {item["conversation_id"] for item in document["conversations"]} == MAYAS_CONVERSATIONS
    assert [ticket["conversation_id"] for ticket in document["tickets"]] == [
        "telegram-1001",
        "rest-maya-app",
    ]
    first = document["tickets"][0]
    assert [note["text"] for note in first["notes"]] == ["Prefers email"]
    assert [entry["event"] for entry in first["history"]] == [
        "created",
        "claimed",
        "note",
        "resolved",
    ]
    assert first["transcript"] == [{"speaker": "customer", "text": "a person please"}]
    assert [row["payload"] for row in document["outbox"]] == [{"text": "An agent will reply soon"}]
    assert sorted(row["key"] for row in document["lookup_counters"]) == [
        "client:ip:203.0.113.5",
        "conversation:widget-visit-maya",
    ]
    (customer,) = document["shop"]
    assert customer["email"] == MAYA
    assert sorted(order["id"] for order in customer["orders"]) == ["100198", "100231", "100245"]
    assert all(item["product"] for order in customer["orders"] for item in order["items"])

    text = to_json(document)
    assert json.loads(text) == document
    assert MAYA in text and "07700 900123" in text
    for foreign in NOT_MAYAS:
        assert foreign not in text, foreign


def test_the_export_is_complete_even_with_redaction_on(data, monkeypatch):
    monkeypatch.setenv("RELAY_REDACT", "1")
    document = data.export(data.find(conversation_id="widget-visit-maya"))
    (visit,) = document["conversations"]
    assert "07700 900123" in visit["messages"][0]["text"]


def test_the_export_says_which_database_it_could_not_read(relay):
    data = PersonalData({SHOP: relay.shop}, clock=relay.clock)
    document = data.export(data.find(email=MAYA))
    assert document["databases_not_found"] == ["tracker"]
    assert document["conversations"] == []
    assert document["summary"]["tickets"] == 2


# Deleting


def test_delete_removes_the_customers_chat_data_and_nothing_else(data, relay):
    maya = data.find(email=MAYA)
    tom_before = data.export(data.find(email=TOM))
    expected = data.preview(maya)
    assert expected == {
        "conversations": 4,
        "events": 16,
        "tickets": 2,
        "notes": 1,
        "history": 6,
        "outbox": 1,
        "lookup_counters": 2,
        "telegram_updates": 1,
        "webhook_deliveries": 1,
    }

    assert data.delete(maya) == expected

    assert set(data.preview(data.find(email=MAYA)).values()) == {0}
    assert comparable(data.export(data.find(email=TOM))) == comparable(tom_before)
    with relay.tracker.engine.connect() as connection:
        senders = connection.execute(select(EVENTS.c.sender_id).distinct()).scalars().all()
    assert set(senders) == TOMS_CONVERSATIONS | {"rest-stranger"}
    with relay.shop.connect() as connection:
        emails = connection.execute(select(Customer.email)).scalars().all()
        tickets = connection.execute(select(Ticket.conversation_id)).scalars().all()
    assert MAYA in emails  # the shop's records stay
    assert tickets == ["telegram-1002"]


def test_the_strangers_conversation_survives(data, relay):
    data.delete(data.find(email=MAYA))
    stranger = data.find(conversation_id="rest-stranger")
    assert data.preview(stranger)["events"] == 3
    assert data.preview(stranger)["outbox"] == 1


def test_deleting_twice_deletes_nothing_the_second_time(data):
    data.delete(data.find(email=MAYA))
    assert set(data.delete(data.find(email=MAYA)).values()) == {0}


class Failing:
    """A store in the shop's database whose delete fails."""

    name = "failing"
    database = SHOP

    def export(self, connection, subject: Subject) -> Section:
        return Section([], {})

    def delete(self, connection, subject: Subject):
        raise RuntimeError("disk full")

    def purge(self, connection, before: datetime):
        raise RuntimeError("disk full")


def test_a_failed_delete_leaves_that_database_as_it_was(relay):
    data = PersonalData(relay.engines, stores=[*erasable_stores(), Failing()], clock=relay.clock)
    maya = data.find(email=MAYA)
    with pytest.raises(RuntimeError, match="disk full"):
        data.delete(maya)
    counts = data.preview(maya)
    assert counts["conversations"] == 0  # the tracker store's transaction had committed
    assert counts["tickets"] == 2 and counts["outbox"] == 1 and counts["lookup_counters"] == 2
