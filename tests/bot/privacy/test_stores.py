"""bot/privacy/stores.py: the list of stores, rows by key, one transaction per database."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, create_engine, insert

from bot.privacy.personal_data import PersonalData
from bot.privacy.records import SHOP, TRACKER, Subject
from bot.privacy.retention import purge
from bot.privacy.stores import Rows, each_database, erasable_stores, kept_stores, lookup_keys
from tests.support.relay_data import MAYA, NOW


def test_lookup_keys_cover_conversations_and_clients():
    subject = Subject(conversation_ids=frozenset({"widget-1"}), clients=frozenset({"ip:1.2.3.4"}))
    assert sorted(lookup_keys(subject)) == ["client:ip:1.2.3.4", "conversation:widget-1"]
    long = Subject(conversation_ids=frozenset({"rest-" + "x" * 400}))
    assert [len(key) for key in lookup_keys(long)] == [300]  # as LookupLimits cuts them


def test_stores_cover_every_table_of_chat_data():
    names = [store.name for store in erasable_stores()]
    assert names == [
        "conversations",
        "tickets",
        "outbox",
        "lookup_counters",
        "telegram_updates",
        "webhook_deliveries",
    ]
    assert [store.name for store in kept_stores()] == ["shop"]
    assert {store.database for store in erasable_stores()} == {TRACKER, SHOP}


def test_stores_find_nothing_in_databases_without_their_tables(tmp_path):
    engines = {
        TRACKER: create_engine(f"sqlite:///{tmp_path / 'empty-tracker.db'}", future=True),
        SHOP: create_engine(f"sqlite:///{tmp_path / 'empty-shop.db'}", future=True),
    }
    subject = Subject(
        conversation_ids=frozenset({"telegram-1"}),
        customer_ids=frozenset({1}),
        emails=frozenset({MAYA}),
    )
    data = PersonalData(engines)
    assert data.find(email=MAYA).conversation_ids == frozenset()
    assert set(data.export(subject)["summary"].values()) == {0}
    assert set(data.delete(subject).values()) == {0}
    assert set(purge(engines, 1).values()) == {0}


def test_each_database_skips_a_database_it_has_no_engine_for(relay):
    subject = Subject(conversation_ids=frozenset({"telegram-1001"}))
    counts = each_database(
        {SHOP: relay.shop},
        erasable_stores(),
        lambda store, connection: store.export(connection, subject).counts,
    )
    assert "conversations" not in counts
    assert counts["tickets"] == 1


# A table added later (a future table, say) is one entry more in the list of stores.

DELIVERIES = Table(
    "example_deliveries",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("conversation_id", String(255), nullable=False),
    Column("payload_json", String, nullable=False),
    Column("created_at", DateTime, nullable=False),
)


def test_a_new_table_needs_one_entry(relay):
    DELIVERIES.create(relay.shop)
    with relay.shop.begin() as connection:
        for conversation, age in (
            ("telegram-1001", 40),
            ("telegram-1002", 40),
            ("telegram-1002", 1),
        ):
            connection.execute(
                insert(DELIVERIES).values(
                    conversation_id=conversation,
                    payload_json=json.dumps({"event": "ticket.created"}),
                    created_at=NOW - timedelta(days=age),
                )
            )
    stores = [
        *erasable_stores(),
        Rows(
            "example_deliveries",
            DELIVERIES,
            "conversation_id",
            "created_at",
            lambda subject: subject.conversation_ids,
        ),
    ]
    data = PersonalData(relay.engines, stores=stores, clock=relay.clock)
    maya = data.find(email=MAYA)

    document = data.export(maya)
    assert document["summary"]["example_deliveries"] == 1
    assert document["example_deliveries"][0]["payload"] == {"event": "ticket.created"}
    assert data.delete(maya)["example_deliveries"] == 1
    assert purge(relay.engines, 30, stores, clock=relay.clock)["example_deliveries"] == 1
    with relay.shop.connect() as connection:
        left = connection.execute(DELIVERIES.select()).all()
    assert [(row.conversation_id, row.created_at) for row in left] == [
        ("telegram-1002", NOW - timedelta(days=1))
    ]
