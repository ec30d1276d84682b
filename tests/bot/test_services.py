"""bot/services.py: one services object per process, each service made once on first use."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from bot.channels.callback_data import LocalPayloads, callback_data, pressed_payload
from bot.channels.flood import PER_CONVERSATION
from bot.channels.outbox import Outbox
from bot.channels.rate_limit import RateLimiter
from bot.channels.redis_callback_data import RedisPayloads
from bot.channels.redis_rate_limit import RedisRateLimiter
from bot.channels.replies import Replies
from bot.handoff.agents import add_agent
from bot.handoff.auth import SECRET_FILE, Devices, Hasher, Sessions, SignInGuard
from bot.handoff.deliveries import Deliveries
from bot.handoff.rules import HandoffRules
from bot.handoff.tickets import TicketStore
from bot.handoff.webhook import Webhook
from bot.redis_window import RedisWindow
from bot.services import WARM, Clock, Services, of_app
from bot.settings import DEFAULT_HANDOFF_FILE, load_settings
from bot.shared_redis import SharedRedis
from bot.shop.facts import ShopFacts
from bot.shop.lookup_limits import LookupLimits
from bot.shop.repository import ShopRepository, make_engine
from bot.sliding_window import Limit, LocalWindow
from tests.support.helpdesk import free_port

KINDS = {
    "tickets": TicketStore,
    "outbox": Outbox,
    "replies": Replies,
    "rules": HandoffRules,
    "webhook": Webhook,
    "sessions": Sessions,
    "devices": Devices,
    "guard": SignInGuard,
    "hasher": Hasher,
    "facts": ShopFacts,
    "clock": Clock,
    "repository": ShopRepository,
    "lookup_limits": LookupLimits,
    "telegram_limiter": RateLimiter,
    "telegram_payloads": LocalPayloads,
}
PASSWORD = "a-long-password"
LONDON = ZoneInfo("Europe/London")


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
        "RELAY_REDIS_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_each_service_is_of_its_kind_and_made_once(data_dir: Path) -> None:
    services = Services.from_settings()
    for name, kind in KINDS.items():
        made = getattr(services, name)
        assert isinstance(made, kind), name
        assert getattr(services, name) is made, name


def test_nothing_connects_until_a_service_is_used(data_dir: Path) -> None:
    services = Services.from_settings()
    assert not (data_dir / "tickets.db").exists()
    assert services.tickets
    assert (data_dir / "tickets.db").exists()


def test_warming_up_makes_the_servers_services_before_any_request(data_dir: Path) -> None:
    services = Services.from_settings()
    assert services.warm() == []
    assert set(WARM) <= set(services._made)
    assert (data_dir / "tickets.db").exists()  # the schema is there: no request makes it
    assert "repository" not in services._made  # the shop's data is the action server's


def test_a_service_that_cannot_be_made_at_start_up_is_made_on_first_use(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = data_dir / "blocked"
    blocked.write_text("a file where the database's folder should be")
    monkeypatch.setenv("RELAY_SHOP_DB_URL", f"sqlite:///{blocked / 'shop.db'}")
    services = Services.from_settings()
    assert "tickets" in services.warm()  # its database can't be opened yet
    assert "tickets not ready at start-up" in caplog.text
    assert "facts" in services._made  # the rest was made
    blocked.unlink()
    assert services.tickets.queue() == []


def test_the_services_share_one_engine(data_dir: Path) -> None:
    services = Services.from_settings()
    assert services.engine is services.engine
    assert services.engine.url.database == str(data_dir / "tickets.db")


def test_given_services_are_used_instead(data_dir: Path) -> None:
    store = TicketStore(make_engine(f"sqlite:///{data_dir / 'other.db'}"))
    services = Services(load_settings(), tickets=store)
    assert services.tickets is store
    assert not (data_dir / "tickets.db").exists()


def test_replaced_services_share_the_ones_made_so_far(data_dir: Path) -> None:
    services = Services.from_settings()
    store = services.tickets
    clock = Clock(LONDON, "2026-11-25T09:00:00")
    moved = services.replaced(clock=clock)
    assert moved.clock is clock and moved.tickets is store
    assert services.clock is not clock
    with pytest.raises(TypeError):
        services.replaced(no_such_service=1)


def test_the_settings_are_read_when_the_services_are_built(
    data_dir: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = Services.from_settings()
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    monkeypatch.setenv("RELAY_DATA_DIR", str(elsewhere))
    assert services.settings.data_dir == data_dir
    assert Services.from_settings().settings.data_dir == elsewhere


def test_the_outbox_uses_the_shop_database_url(data_dir: Path) -> None:
    message_id = Services.from_settings().outbox.push("web-1", {"text": "Hello"})
    engine = make_engine(f"sqlite:///{data_dir / 'tickets.db'}")
    try:
        assert Outbox(engine).pull("web-1") == [{"id": message_id, "text": "Hello"}]
    finally:
        engine.dispose()


def test_the_database_defaults_to_the_data_directory(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RELAY_SHOP_DB_URL")
    assert Services.from_settings().tickets
    assert (data_dir / "shop.db").exists()


def test_agents_are_read_again_on_every_call(data_dir: Path) -> None:
    services = Services.from_settings()
    path = data_dir / "agents.yml"
    assert services.agents() == {}
    add_agent(path, "alice", "Alice Moreau", PASSWORD)
    assert list(services.agents()) == ["alice"]
    add_agent(path, "bob", "Bob Lee", PASSWORD)
    agents = services.agents()
    assert list(agents) == ["alice", "bob"]
    assert agents["bob"].name == "Bob Lee"


def test_agents_come_from_the_configured_file(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = data_dir / "team" / "agents.yml"
    add_agent(path, "alice", "Alice Moreau", PASSWORD)
    monkeypatch.setenv("RELAY_AGENTS_FILE", str(path))
    assert list(Services.from_settings().agents()) == ["alice"]


def test_rules_are_read_from_the_handoff_file(data_dir: Path) -> None:
    services = Services.from_settings()
    assert services.settings.handoff_file == DEFAULT_HANDOFF_FILE
    assert isinstance(services.rules, HandoffRules)


def test_the_webhook_does_nothing_without_a_url(data_dir: Path) -> None:
    webhook = Services.from_settings().webhook
    assert webhook.url is None
    assert webhook.send("ticket.created", {"id": 1}) is None


def test_the_webhook_stores_the_allowed_fields_in_the_shop_database(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RELAY_WEBHOOK_URL", f"http://127.0.0.1:{free_port()}/hook")
    monkeypatch.setenv("RELAY_WEBHOOK_SECRET", "s3cret")
    monkeypatch.setenv("RELAY_WEBHOOK_FIELDS", "status")
    webhook = Services.from_settings().webhook
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


def test_the_webhook_refuses_a_url_without_a_secret(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RELAY_WEBHOOK_URL", "https://helpdesk.example.com/hooks/relay")
    services = Services.from_settings()  # built, since nothing is made yet
    with pytest.raises(ValueError, match="RELAY_WEBHOOK_SECRET"):
        assert services.webhook


def test_console_sessions_survive_a_restart_in_the_shared_database(data_dir: Path) -> None:
    alice = add_agent(data_dir / "agents.yml", "alice", "Alice Moreau", PASSWORD)
    token = Services.from_settings().sessions.issue(alice)
    after_restart = Services.from_settings()
    assert after_restart.sessions.agent(token, after_restart.agents()) == alice


def test_device_cookies_survive_a_restart_through_the_secret_in_the_data_directory(
    data_dir: Path,
) -> None:
    cookie = Services.from_settings().devices.issue("alice")
    assert (data_dir / SECRET_FILE).exists()
    assert Services.from_settings().devices.knows(cookie, "alice")


def test_the_clock_is_in_the_shops_timezone_from_its_facts(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RELAY_NOW", "2026-11-24T11:00:00")
    services = Services.from_settings()
    assert services.clock.timezone == services.facts.timezone
    assert services.clock.now().replace(tzinfo=None) == datetime(2026, 11, 24, 11, 0)


@pytest.mark.parametrize(
    ("fixed", "expected"),
    [
        ("2026-11-24T11:00:00", datetime(2026, 11, 24, 11, 0, tzinfo=LONDON)),
        ("2026-07-01T23:30:00+00:00", datetime(2026, 7, 2, 0, 30, tzinfo=LONDON)),
    ],
)
def test_a_fixed_time_is_taken_in_the_shops_timezone(fixed: str, expected: datetime) -> None:
    now = Clock(LONDON, fixed).now()
    assert now == expected and now.utcoffset() == expected.utcoffset()


def test_without_a_fixed_time_the_clock_is_the_wall_clock() -> None:
    before = datetime.now(LONDON)
    now = Clock(LONDON).now()
    assert before <= now <= datetime.now(LONDON)
    assert now.tzinfo == LONDON
    assert Clock(LONDON, "2026-11-24T23:59:00").today() == date(2026, 11, 24)


def test_an_app_gets_the_environments_services_once(data_dir: Path) -> None:
    app = SimpleNamespace(ctx=SimpleNamespace())
    services = of_app(app)
    assert services is of_app(app)
    assert services.settings.data_dir == data_dir


def test_an_app_keeps_the_services_a_test_gave_it(data_dir: Path) -> None:
    given = Services.from_settings()
    app = SimpleNamespace(ctx=SimpleNamespace(services=given))
    assert of_app(app) is given


# --- State the processes share ---

LONG_PAYLOAD = '/inform{"return_reason": "The zip broke the first time I wore it outside"}'


def test_without_redis_shared_state_is_in_this_processs_memory(data_dir: Path) -> None:
    services = Services.from_settings()
    assert services.redis is None
    assert isinstance(services.window("test", Limit(1, 60)), LocalWindow)
    assert services.floodgate("rest") is services.floodgate("rest")
    assert services.floodgate("rest") is not services.floodgate("widget")


def test_with_redis_the_shared_state_is_there(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> None:
    monkeypatch.setenv("RELAY_REDIS_URL", redis_url)
    services = Services.from_settings()
    assert isinstance(services.redis, SharedRedis) and services.redis is services.redis
    assert isinstance(services.window("test", Limit(1, 60)), RedisWindow)
    assert isinstance(services.telegram_limiter, RedisRateLimiter)
    assert isinstance(services.telegram_payloads, RedisPayloads)
    assert services.floodgate("rest") is services.floodgate("rest")


def test_two_processes_services_share_floods_sign_ins_and_payloads(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> None:
    monkeypatch.setenv("RELAY_REDIS_URL", redis_url)
    first, second = Services.from_settings(), Services.from_settings()

    async def scenario() -> None:
        for n in range(PER_CONVERSATION.count):
            assert await (first, second)[n % 2].floodgate("rest").admits("rest-c1", "ip:1")
        assert not await second.floodgate("rest").admits("rest-c1", "ip:1")
        assert await second.floodgate("widget").admits("rest-c1", "ip:1")  # each channel its own

        for _ in range(5):
            await first.guard.failed("alice", "10.0.0.1")
        assert await second.guard.blocked("alice", "10.0.0.1")

        key = await callback_data(first.telegram_payloads, LONG_PAYLOAD)
        assert await pressed_payload(second.telegram_payloads, key) == LONG_PAYLOAD

    asyncio.run(scenario())


def test_with_redis_down_customers_are_answered_with_one_warning(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("RELAY_REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    services = Services.from_settings()

    async def scenario() -> list[bool]:
        gate = services.floodgate("rest")
        admitted = [await gate.admits("rest-c1", "ip:1") for _ in range(PER_CONVERSATION.count + 1)]
        await services.telegram_limiter.wait("1001")
        key = await callback_data(services.telegram_payloads, LONG_PAYLOAD)
        assert await pressed_payload(services.telegram_payloads, key) == LONG_PAYLOAD
        return admitted

    with caplog.at_level(logging.WARNING, logger="bot.shared_redis"):
        admitted = asyncio.run(scenario())
    assert admitted == [True] * PER_CONVERSATION.count + [False]  # still braked, per process
    assert len(caplog.records) == 1
