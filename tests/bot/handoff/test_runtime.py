"""bot/handoff/runtime.py: the Rasa server's handoff services, cached until reset()."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.handoff import runtime
from bot.handoff.agents import add_agent
from bot.handoff.auth import SECRET_FILE, Devices, Hasher, Sessions, SignInGuard
from bot.handoff.deliveries import Deliveries
from bot.handoff.rules import HandoffRules
from bot.handoff.tickets import TicketStore
from bot.handoff.webhook import Webhook
from bot.settings import DEFAULT_HANDOFF_FILE
from bot.shop.repository import make_engine
from tests.support.helpdesk import free_port

CACHED = (
    runtime.settings,
    runtime.store,
    runtime.rules,
    runtime.webhook,
    runtime.sessions,
    runtime.devices,
    runtime.guard,
    runtime.hasher,
)
PASSWORD = "a-long-password"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RELAY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("RELAY_SHOP_DB_URL", f"sqlite:///{tmp_path / 'tickets.db'}")
    for name in (
        "RELAY_AGENTS_FILE",
        "RELAY_HANDOFF_FILE",
        "RELAY_WEBHOOK_URL",
        "RELAY_WEBHOOK_SECRET",
        "RELAY_WEBHOOK_FIELDS",
        "RELAY_CONSOLE_SECRET",
    ):
        monkeypatch.delenv(name, raising=False)
    runtime.reset()
    yield tmp_path
    runtime.reset()


def test_each_service_is_created_once(data_dir: Path) -> None:
    for service in CACHED:
        assert service() is service(), service.__name__


def test_the_services_are_of_the_expected_kinds(data_dir: Path) -> None:
    assert isinstance(runtime.store(), TicketStore)
    assert isinstance(runtime.rules(), HandoffRules)
    assert isinstance(runtime.webhook(), Webhook)
    assert isinstance(runtime.sessions(), Sessions)
    assert isinstance(runtime.devices(), Devices)
    assert isinstance(runtime.guard(), SignInGuard)
    assert isinstance(runtime.hasher(), Hasher)


def test_reset_makes_every_service_anew(data_dir: Path) -> None:
    before = [service() for service in CACHED]
    runtime.reset()
    for service, old in zip(CACHED, before, strict=True):
        assert service.cache_info().currsize == 0, service.__name__
        assert service() is not old, service.__name__


def test_settings_are_read_once_until_reset(
    data_dir: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert runtime.settings().data_dir == data_dir
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    monkeypatch.setenv("RELAY_DATA_DIR", str(elsewhere))
    assert runtime.settings().data_dir == data_dir
    runtime.reset()
    assert runtime.settings().data_dir == elsewhere


def test_store_uses_the_shop_database_url(data_dir: Path) -> None:
    url = f"sqlite:///{data_dir / 'tickets.db'}"
    message_id = runtime.store().push("web-1", {"text": "Hello"})
    assert (data_dir / "tickets.db").exists()
    engine = make_engine(url)
    try:
        assert TicketStore(engine).pull("web-1") == [{"id": message_id, "text": "Hello"}]
    finally:
        engine.dispose()


def test_store_follows_a_new_database_url_after_reset(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime.store().push("web-1", {"text": "Hello"})
    monkeypatch.setenv("RELAY_SHOP_DB_URL", f"sqlite:///{data_dir / 'other.db'}")
    assert runtime.store().pull("web-1") != []  # still the cached store
    runtime.reset()
    assert runtime.store().pull("web-1") == []
    assert (data_dir / "other.db").exists()


def test_store_defaults_to_the_data_directory(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RELAY_SHOP_DB_URL")
    runtime.reset()
    runtime.store()
    assert (data_dir / "shop.db").exists()


def test_agents_are_read_again_on_every_call(data_dir: Path) -> None:
    path = data_dir / "agents.yml"
    assert runtime.agents() == {}
    add_agent(path, "alice", "Alice Moreau", PASSWORD)
    assert list(runtime.agents()) == ["alice"]
    add_agent(path, "bob", "Bob Lee", PASSWORD)
    agents = runtime.agents()
    assert list(agents) == ["alice", "bob"]
    assert agents["bob"].name == "Bob Lee"


def test_agents_come_from_the_configured_file(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = data_dir / "team" / "agents.yml"
    add_agent(path, "alice", "Alice Moreau", PASSWORD)
    monkeypatch.setenv("RELAY_AGENTS_FILE", str(path))
    runtime.reset()
    assert list(runtime.agents()) == ["alice"]


def test_rules_are_read_from_the_handoff_file(data_dir: Path) -> None:
    assert runtime.settings().handoff_file == DEFAULT_HANDOFF_FILE
    assert isinstance(runtime.rules(), HandoffRules)


def test_webhook_does_nothing_without_a_url(data_dir: Path) -> None:
    assert runtime.webhook().url is None
    assert runtime.webhook().send("ticket.created", {"id": 1}) is None


def test_webhook_stores_the_allowed_fields_in_the_shop_database(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RELAY_WEBHOOK_URL", f"http://127.0.0.1:{free_port()}/hook")
    monkeypatch.setenv("RELAY_WEBHOOK_SECRET", "s3cret")
    monkeypatch.setenv("RELAY_WEBHOOK_FIELDS", "status")
    runtime.reset()
    webhook = runtime.webhook()
    try:
        delivery_id = webhook.send("ticket.created", {"id": 1, "status": "waiting", "summary": "x"})
        assert delivery_id is not None
    finally:
        webhook.close()
    engine = make_engine(f"sqlite:///{data_dir / 'tickets.db'}")
    try:
        row = Deliveries(engine).get(delivery_id)
    finally:
        engine.dispose()
    assert row is not None and row.event == "ticket.created"
    assert json.loads(row.body)["ticket"] == {"id": 1, "status": "waiting"}


def test_webhook_refuses_a_url_without_a_secret(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RELAY_WEBHOOK_URL", "https://helpdesk.example.com/hooks/relay")
    runtime.reset()
    with pytest.raises(ValueError, match="RELAY_WEBHOOK_SECRET"):
        runtime.webhook()


def test_sessions_survive_a_reset_in_the_shared_database(data_dir: Path) -> None:
    alice = add_agent(data_dir / "agents.yml", "alice", "Alice Moreau", PASSWORD)
    token = runtime.sessions().issue(alice)
    runtime.reset()
    assert runtime.sessions().agent(token, runtime.agents()) == alice


def test_device_cookies_survive_a_reset_through_the_secret_in_the_data_directory(
    data_dir: Path,
) -> None:
    cookie = runtime.devices().issue("alice")
    assert (data_dir / SECRET_FILE).exists()
    runtime.reset()
    assert runtime.devices().knows(cookie, "alice")
