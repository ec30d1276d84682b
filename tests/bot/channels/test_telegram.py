"""bot/channels/telegram.py and telegram_output.py: Telegram's updates in, Bot API calls out.

Updates are JSON as Telegram sends them, posted to the channel's real Sanic blueprint
through ASGI; the Bot talks HTTP to a local stand-in for the Bot API
(tests/e2e/telegram_api.py), never to Telegram. Updates are recorded in a real SQLite
file in the test's tmp_path, which two channels share where a test needs two processes.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from rasa.core.channels.channel import UserMessage
from rasa.core.run import create_http_input_channels
from rasa.shared.core.events import BotUttered, ConversationPaused, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Sanic
from sqlalchemy.exc import OperationalError

from bot.channels import inbound
from bot.channels import telegram as channel_module
from bot.channels.callback_data import MAX_CALLBACK_DATA, LocalPayloads
from bot.channels.rate_limit import RateLimiter
from bot.channels.replies import MissingResponse, Replies
from bot.channels.telegram import (
    DISABLED,
    NOT_CONFIGURED,
    SECRET_HEADER,
    UNRECORDED,
    TelegramConfigError,
    TelegramInput,
)
from bot.channels.telegram_inbox import Inbox, utcnow
from bot.channels.telegram_output import (
    BLOCKED_REASON,
    DEFAULT_BASE_URL,
    FLOOD_REASON,
    MAX_TEXT,
    REJECTED_REASON,
    UNREACHABLE_REASON,
    TelegramClient,
    TelegramOutput,
    Undelivered,
    split_text,
)
from bot.channels.telegram_queue import Retries
from bot.handoff.tickets import TicketStore
from bot.services import Services
from bot.settings import ROOT
from bot.tools.services import CHANNEL_VARIABLES
from tests.e2e.telegram_api import (
    BOT_USER,
    TOKEN,
    TelegramApi,
    callback_update,
    message_update,
)
from tests.support.asgi import serving
from tests.support.http1 import status_of
from tests.support.rasa import Recorder, StandInAgent
from tests.support.sqlite import impatient_engine, locked
from tests.support.telegram_inbox import handled, inbox_at
from tests.support.tickets import open_ticket
from tests.support.waiting import until

SECRET = "test-webhook-secret_1"
HEADERS = {SECRET_HEADER: SECRET}
URL = "/webhooks/relay_telegram/webhook"
UNSUPPORTED = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"][
    "utter_telegram_unsupported"
][0]["text"]
# Sanic warns that the channel's after_server_stop listener runs late under ASGI: it does.
pytestmark = pytest.mark.filterwarnings("ignore:You have set a listener:UserWarning")
GROUP = {"id": -100123, "type": "supergroup", "title": "Northpeak fans"}
TOM = {"id": 1002, "is_bot": False, "first_name": "Tom", "language_code": "de"}
FAST = Retries(every=0.02, backoff=0.02, max_backoff=0.1, attempts=4)


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


@pytest.fixture(scope="module")
def api() -> Iterator[TelegramApi]:
    server = TelegramApi().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def fresh(api: TelegramApi, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    api.reset()
    monkeypatch.setattr(Sanic, "test_mode", True)  # several apps in one process
    # The channel records updates in the ticket database: a fresh SQLite file for each test.
    monkeypatch.setenv("RELAY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("RELAY_SHOP_DB_URL", f"sqlite:///{tmp_path / 'shop.db'}")
    yield  # each app builds its services from this environment when it starts


class Sleeps:
    """Records the client's waits (retry_after, backoff) and waits only briefly."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)
        await asyncio.sleep(0)


def client(api: TelegramApi, interval: float = 0.0, **kwargs: Any) -> TelegramClient:
    kwargs.setdefault("timeout", 0.5)
    kwargs.setdefault("backoff", 0.01)
    return TelegramClient(TOKEN, api.base_url, RateLimiter(per_chat_interval=interval), **kwargs)


def channel(
    api: TelegramApi, inbox: Inbox | None = None, retries: Retries = FAST, **kwargs: Any
) -> TelegramInput:
    """A channel on the stand-in; without `inbox` it records in RELAY_SHOP_DB_URL's database."""
    return TelegramInput(client(api, **kwargs), SECRET, inbox=inbox, retries=retries)


MAYAS_CHAT = "telegram-1001"


def agent(*offered: str, conversation: str = MAYAS_CHAT) -> StandInAgent:
    """Enough of Rasa's agent for the handoff gate; the bot offered buttons with `offered`."""
    stand_in = StandInAgent()
    if offered:
        buttons = [{"title": payload, "payload": payload} for payload in offered]
        offer = BotUttered("Choose one", data={"buttons": buttons})
        tracker = DialogueStateTracker.from_events(conversation, [offer])
        run(stand_in.tracker_store.save(tracker))
    return stand_in


def app_for(
    telegram: TelegramInput,
    handler: Callable[[UserMessage], Awaitable[Any]],
    rasa: StandInAgent | None = None,
    services: Services | None = None,
) -> Sanic:
    app = Sanic("relay_telegram_test")
    if services is not None:
        app.ctx.services = services
    app.blueprint(telegram.blueprint(handler), url_prefix="/webhooks/relay_telegram")
    app.ctx.agent = rasa or agent()
    return app


async def post_all(
    app: Sanic,
    telegram: TelegramInput,
    *bodies: Any,
    headers: dict[str, str] | None = None,
) -> list[httpx.Response]:
    """Posts each body (a dict as JSON, bytes as they are), then waits until all are handled."""
    answers = []
    async with serving(app) as http:
        for body in bodies:
            if isinstance(body, bytes):
                answer = await http.post(URL, content=body, headers=headers or HEADERS)
            else:
                answer = await http.post(URL, json=body, headers=headers or HEADERS)
            answers.append(answer)
        await telegram.idle()
    await telegram.close()
    return answers


def deliver(
    telegram: TelegramInput,
    *updates: Any,
    handler: Recorder | None = None,
    rasa: StandInAgent | None = None,
) -> Recorder:
    handler = handler or Recorder()
    answers = run(post_all(app_for(telegram, handler, rasa), telegram, *updates))
    assert all(answer.status_code == 200 for answer in answers), [a.text for a in answers]
    return handler


# Credentials


def test_an_empty_token_disables_the_channel_which_says_so_once_its_server_starts(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.channels.telegram"):
        first = TelegramInput.from_credentials({"token": "", "webhook_secret": ""})
        second = TelegramInput.from_credentials({"token": None})
        assert not first.enabled and not second.enabled
        assert first.get_output_channel() is None
        assert caplog.records == []

        async def start() -> None:
            app = Sanic("relay_telegram_disabled")
            app.blueprint(first.blueprint(Recorder()), url_prefix="/webhooks/relay_telegram")
            async with serving(app):
                pass

        run(start())
    assert [r.message for r in caplog.records] == [DISABLED]


def test_a_disabled_channel_answers_503_and_has_no_webhook() -> None:
    disabled = TelegramInput.from_credentials({"token": ""})

    async def call() -> tuple[httpx.Response, httpx.Response]:
        app = Sanic("relay_telegram_off")
        app.blueprint(disabled.blueprint(Recorder()), url_prefix="/webhooks/relay_telegram")
        async with serving(app) as http:
            return await http.get("/webhooks/relay_telegram/"), await http.post(URL, json={})

    health, webhook = run(call())
    assert (health.status_code, health.json()) == (503, {"status": NOT_CONFIGURED})
    assert webhook.status_code in (404, 405)


@pytest.mark.parametrize(
    ("credentials", "complaint"),
    [
        (None, "needs a `token` key"),
        ({"webhook_secret": SECRET}, "needs a `token` key"),
        ({"token": TOKEN}, "TELEGRAM_WEBHOOK_SECRET must be set"),
        ({"token": TOKEN, "webhook_secret": "  "}, "TELEGRAM_WEBHOOK_SECRET must be set"),
        ({"token": TOKEN, "webhook_secret": "has spaces in it"}, "1-256 characters"),
        ({"token": TOKEN, "webhook_secret": SECRET, "base_url": "ftp://x/bot"}, "http://"),
    ],
    ids=["no credentials", "no token key", "no secret", "blank secret", "bad secret", "bad url"],
)
def test_incomplete_credentials_fail_loudly(
    credentials: dict[str, Any] | None, complaint: str
) -> None:
    with pytest.raises(TelegramConfigError, match=complaint):
        TelegramInput.from_credentials(credentials)


def test_an_empty_base_url_means_telegrams(api: TelegramApi) -> None:
    default = TelegramInput.from_credentials({"token": TOKEN, "webhook_secret": SECRET})
    assert default.enabled and default.client is not None
    assert default.client._base_url == DEFAULT_BASE_URL
    local = TelegramInput.from_credentials(
        {"token": TOKEN, "webhook_secret": SECRET, "base_url": api.base_url}
    )
    assert local.client is not None and local.client._base_url == api.base_url


def test_credentials_yml_starts_with_the_telegram_variables_empty(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in CHANNEL_VARIABLES:
        monkeypatch.setenv(name, "")
    channels = create_http_input_channels(None, str(ROOT / "credentials.yml"))
    [telegram] = [c for c in channels if c.name() == "relay_telegram"]
    assert isinstance(telegram, TelegramInput) and not telegram.enabled


def test_credentials_yml_passes_the_variables_on(
    monkeypatch: pytest.MonkeyPatch, api: TelegramApi
) -> None:
    for name in CHANNEL_VARIABLES:
        monkeypatch.setenv(name, "")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("TELEGRAM_BASE_URL", api.base_url)
    channels = create_http_input_channels(None, str(ROOT / "credentials.yml"))
    [telegram] = [c for c in channels if c.name() == "relay_telegram"]
    assert isinstance(telegram, TelegramInput) and telegram.enabled
    assert telegram.client is not None and telegram.client._base_url == api.base_url
    assert isinstance(telegram.get_output_channel(), TelegramOutput)


# The webhook's checks


def test_the_health_route_answers_when_configured(api: TelegramApi) -> None:
    telegram = channel(api)

    async def call() -> httpx.Response:
        async with serving(app_for(telegram, Recorder())) as http:
            return await http.get("/webhooks/relay_telegram/")

    answer = run(call())
    assert (answer.status_code, answer.json()) == (200, {"status": "ok"})


@pytest.mark.parametrize(
    "headers",
    [{}, {SECRET_HEADER: ""}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: SECRET + "x"}],
    ids=["missing", "empty", "wrong", "longer"],
)
def test_a_wrong_secret_is_refused(api: TelegramApi, headers: dict[str, str]) -> None:
    telegram = channel(api)
    handler = Recorder()
    headers = {**headers, "X-Forwarded-For": "203.0.113.9"}
    [answer] = run(
        post_all(app_for(telegram, handler), telegram, message_update("hi"), headers=headers)
    )
    assert answer.status_code == 403
    assert handler.received == [] and api.calls == []


def test_the_secret_is_compared_in_constant_time(
    api: TelegramApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    compared: list[tuple[bytes, bytes]] = []
    compare = hmac.compare_digest

    def spy(given: bytes, expected: bytes) -> bool:
        compared.append((given, expected))
        return compare(given, expected)

    monkeypatch.setattr(inbound.hmac, "compare_digest", spy)
    deliver(channel(api), message_update("hi"))
    assert compared == [(SECRET.encode(), SECRET.encode())]


@pytest.mark.parametrize("secret", [b"\xff\xfe", SECRET.encode() + b"\xff"])
def test_an_undecodable_secret_is_refused_not_a_crash(api: TelegramApi, secret: bytes) -> None:
    telegram = channel(api)
    handler = Recorder()
    headers = SECRET_HEADER.encode() + b": " + secret + b"\r\nContent-Type: application/json\r\n"
    body = json.dumps(message_update("hi")).encode()
    assert status_of(app_for(telegram, handler), "POST", URL, headers, body) == 403
    assert handler.received == [] and api.calls == []


def test_only_json_is_accepted(api: TelegramApi) -> None:
    telegram = channel(api)
    handler = Recorder()
    app = app_for(telegram, handler)
    form = {**HEADERS, "Content-Type": "application/x-www-form-urlencoded"}
    [answer] = run(post_all(app, telegram, b"update_id=1", headers=form))
    assert answer.status_code == 415
    assert handler.received == []


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[1, 2]", b'{"message": {}}', b'{"update_id": "7"}', b'{"update_id": true}'],
    ids=["broken", "list", "no update_id", "string id", "boolean id"],
)
def test_what_is_not_an_update_is_a_bad_request(api: TelegramApi, body: bytes) -> None:
    telegram = channel(api)
    headers = {**HEADERS, "Content-Type": "application/json"}
    [answer] = run(post_all(app_for(telegram, Recorder()), telegram, body, headers=headers))
    assert answer.status_code == 400


def test_a_repeated_update_is_handled_once(api: TelegramApi) -> None:
    telegram = channel(api)
    handler = Recorder()
    update = message_update("where is my order 100231")
    app = app_for(telegram, handler)
    answers = run(post_all(app, telegram, update, update, message_update("thanks")))
    assert [a.json()["status"] for a in answers] == ["ok", "duplicate", "ok"]
    assert handler.texts == ["where is my order 100231", "thanks"]


# Recorded before acknowledged


def test_an_update_is_acknowledged_only_once_recorded(api: TelegramApi, tmp_path: Path) -> None:
    inbox = inbox_at(tmp_path)
    telegram = channel(api, inbox)
    update = message_update("where is my order 100231")
    update_id = update["update_id"]

    class Waiting(Recorder):
        def __init__(self) -> None:
            super().__init__()
            self.go = asyncio.Event()

        async def __call__(self, message: UserMessage) -> None:
            await self.go.wait()
            await super().__call__(message)

    handler = Waiting()

    async def scenario() -> None:
        async with serving(app_for(telegram, handler)) as http:
            answer = await http.post(URL, json=update, headers=HEADERS)
            assert (answer.status_code, answer.json()) == (200, {"status": "ok"})
            recorded = await asyncio.to_thread(inbox.get, update_id)  # as Telegram hears "ok"
            assert recorded is not None and recorded.handled_at is None
            assert recorded.payload == update
            handler.go.set()
            await telegram.idle()
            assert await asyncio.to_thread(handled, inbox, update_id)  # after Rasa took it
        await telegram.close()

    run(scenario())
    assert handler.texts == ["where is my order 100231"]


def test_an_update_that_cannot_be_recorded_is_answered_500_and_taken_when_sent_again(
    api: TelegramApi,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    inbox = inbox_at(tmp_path)
    record = inbox.record_in_line
    outage = [OperationalError("INSERT", {}, Exception("unable to open database file"))]

    def flaky(*args: Any) -> int | None:
        if outage:
            raise outage.pop()
        return record(*args)

    monkeypatch.setattr(inbox, "record_in_line", flaky)
    telegram = channel(api, inbox)
    handler = Recorder()
    update = message_update("where is my order 100231")
    with caplog.at_level(logging.ERROR, logger="bot.channels.telegram"):
        failed, again = run(post_all(app_for(telegram, handler), telegram, update, update))
    assert (failed.status_code, failed.json()) == (500, {"error": UNRECORDED})
    assert (again.status_code, again.json()) == (200, {"status": "ok"})  # Telegram's redelivery
    assert handler.texts == ["where is my order 100231"]
    assert any("could not be recorded" in record.message for record in caplog.records)


def test_a_locked_database_answers_500_and_nothing_is_handled(
    api: TelegramApi, tmp_path: Path
) -> None:
    path = tmp_path / "tickets.db"
    inbox = Inbox(impatient_engine(path))
    inbox.unhandled(timedelta(hours=1))  # the table exists
    telegram = channel(api, inbox)
    handler = Recorder()
    with locked(path):
        [answer] = run(post_all(app_for(telegram, handler), telegram, message_update("hi")))
    assert answer.status_code == 500
    assert handler.received == [] and api.requests("sendMessage") == []


def test_a_duplicate_sent_to_two_processes_is_handled_once(
    api: TelegramApi, tmp_path: Path
) -> None:
    first, second = channel(api, inbox_at(tmp_path)), channel(api, inbox_at(tmp_path))
    first_handler, second_handler = Recorder(), Recorder()
    update = message_update("where is my order 100231")

    async def scenario() -> list[httpx.Response]:
        async with (
            serving(app_for(first, first_handler)) as one,
            serving(app_for(second, second_handler)) as other,
        ):
            answers = await asyncio.gather(
                one.post(URL, json=update, headers=HEADERS),
                other.post(URL, json=update, headers=HEADERS),
            )
            again = await other.post(URL, json=update, headers=HEADERS)
            await first.idle()
            await second.idle()
        await first.close()
        await second.close()
        return [*answers, again]

    answers = run(scenario())
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert sorted(a.json()["status"] for a in answers) == ["duplicate", "duplicate", "ok"]
    assert first_handler.texts + second_handler.texts == ["where is my order 100231"]
    assert len(api.requests("sendMessage")) == 1


def test_an_update_left_unhandled_is_handled_when_the_channel_starts_again(
    api: TelegramApi, tmp_path: Path
) -> None:
    # A process recorded these, answered 200 and died before handling them (kill -9).
    crashed = inbox_at(tmp_path, clock=lambda: utcnow() - timedelta(minutes=1))
    updates = [message_update("where is my order 100231"), message_update("and 100232?")]
    for update in updates:
        crashed.record(update["update_id"], "1001", update)
    inbox = inbox_at(tmp_path)
    telegram = channel(api, inbox)
    handler = Recorder()

    async def scenario() -> None:
        async with serving(app_for(telegram, handler)):  # nothing posted: it starts
            await until(lambda: all(handled(inbox, u["update_id"]) for u in updates))
            await telegram.idle()
        await telegram.close()

    run(scenario())
    assert handler.texts == ["where is my order 100231", "and 100232?"]
    assert [c.text for c in api.requests("sendMessage")] == ["bot reply", "bot reply"]


def test_an_update_rasa_cannot_take_is_retried_until_it_can(
    api: TelegramApi, tmp_path: Path
) -> None:
    rasa = agent()
    retrieve = rasa.tracker_store.retrieve
    outages = [RuntimeError("tracker store unreachable")] * 2

    async def flaky(sender_id: str) -> DialogueStateTracker | None:
        if outages:
            raise outages.pop()
        return await retrieve(sender_id)

    rasa.tracker_store.retrieve = flaky  # type: ignore[method-assign]
    inbox = inbox_at(tmp_path)
    telegram = channel(api, inbox)
    handler = Recorder()
    first, second = message_update("where is my order 100231"), message_update("hello?")

    async def scenario() -> None:
        async with serving(app_for(telegram, handler, rasa)) as http:
            for update in (first, second):
                answer = await http.post(URL, json=update, headers=HEADERS)
                assert answer.json() == {"status": "ok"}  # recorded: Telegram need not resend
            await until(lambda: handled(inbox, second["update_id"]))
            await telegram.idle()
        await telegram.close()

    run(scenario())
    assert handler.texts == ["where is my order 100231", "hello?"]  # in order, once each
    recorded = inbox.get(first["update_id"])
    assert recorded is not None and (recorded.attempts, recorded.failure) == (2, None)


# Messages to Rasa


def test_a_text_message_reaches_rasa_as_the_chats_conversation(api: TelegramApi) -> None:
    handler = deliver(channel(api), message_update("where is my order 100231"))
    [message] = handler.received
    assert (message.text, message.sender_id, message.input_channel) == (
        "where is my order 100231",
        MAYAS_CHAT,
        "relay_telegram",
    )
    assert message.metadata == {
        "telegram_user_id": 1001,
        "first_name": "Maya",
        "language_code": "en",
        "username": "mayap",
        "relay_client": "telegram:1001",
    }
    assert isinstance(message.output_channel, TelegramOutput)
    # Typing first, then the reply, to the same chat.
    calls = [(c.method, c.chat_id) for c in api.requests() if c.method != "getMe"]
    assert calls == [("sendChatAction", "1001"), ("sendMessage", "1001")]
    assert api.requests("sendChatAction")[0].params["action"] == "typing"
    assert api.requests("sendMessage")[0].text == "bot reply"


def test_metadata_leaves_out_what_the_user_did_not_share(api: TelegramApi) -> None:
    handler = deliver(channel(api), message_update("hallo", user=TOM))
    assert handler.received[0].metadata == {
        "telegram_user_id": 1002,
        "first_name": "Tom",
        "language_code": "de",
        "relay_client": "telegram:1002",
    }


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("/start", "/greet"),
        ("/help", "/ask_capabilities"),
        ("/START", "/greet"),
        ("/order_status", "order_status"),
        ('/inform{"order_id": "100245"}', 'inform{"order_id": "100245"}'),
    ],
)
def test_commands_and_typed_payloads(api: TelegramApi, typed: str, sent: str) -> None:
    handler = deliver(channel(api), message_update(typed))
    assert handler.texts == [sent]


def test_an_edited_message_is_handled_like_a_new_one(api: TelegramApi) -> None:
    edited = message_update("where is my order 100232", kind="edited_message")
    handler = deliver(channel(api), edited)
    assert handler.texts == ["where is my order 100232"]
    assert handler.received[0].sender_id == MAYAS_CHAT


def test_the_updates_of_a_chat_are_handled_in_order(api: TelegramApi) -> None:
    class Slow(Recorder):
        async def __call__(self, message: UserMessage) -> None:
            if message.text == "first":
                await asyncio.sleep(0.3)
            await super().__call__(message)

    handler = deliver(
        channel(api), message_update("first"), message_update("second"), handler=Slow()
    )
    assert handler.texts == ["first", "second"]


def test_messages_go_through_the_handoff_gate(
    api: TelegramApi, services: Services, store: TicketStore
) -> None:
    gated_agent = agent()
    events = [UserUttered("a person", input_channel="relay_telegram"), ConversationPaused()]
    tracker = DialogueStateTracker.from_events(MAYAS_CHAT, events)
    run(gated_agent.tracker_store.save(tracker))
    ticket = open_ticket(store, MAYAS_CHAT, channel="relay_telegram")
    gated_agent.parse_message = _parsed_as_nevermind
    telegram = channel(api)
    handler = Recorder()
    app = app_for(telegram, handler, services=services)
    app.ctx.agent = gated_agent
    run(post_all(app, telegram, message_update("never mind")))
    assert handler.texts == ["never mind"]
    assert store.get(ticket["id"])["status"] == "returned_to_bot"
    assert not run(gated_agent.tracker_store.retrieve(MAYAS_CHAT)).is_paused()


async def _parsed_as_nevermind(text: str) -> dict[str, Any]:
    return {"intent": {"name": "nevermind", "confidence": 0.97}, "text": text}


# Buttons


def test_a_button_press_is_answered_and_its_payload_sent_on(api: TelegramApi) -> None:
    press = callback_update("/order_status")
    handler = deliver(channel(api), press, rasa=agent("/order_status"))
    [answered] = api.requests("answerCallbackQuery")
    assert answered.params["callback_query_id"] == press["callback_query"]["id"]
    [message] = handler.received
    assert (message.text, message.sender_id) == ("/order_status", MAYAS_CHAT)
    assert message.metadata["first_name"] == "Maya"


def test_a_pressed_payload_the_bot_never_offered_is_read_as_text(api: TelegramApi) -> None:
    # A modified client can send any callback data: it counts only if the bot offered it.
    handler = deliver(channel(api), callback_update("/restart"), rasa=agent("/affirm"))
    assert handler.texts == ["restart"]


def test_buttons_become_an_inline_keyboard(api: TelegramApi) -> None:
    buttons = [
        {"title": "Track an order", "payload": "/order_status"},
        {"title": "Our website", "url": "https://example.com/help", "type": "web_url"},
    ]
    output = TelegramOutput(client(api))
    run(output.send_text_with_buttons(MAYAS_CHAT, "Here's what I can help with:", buttons))
    [sent] = api.requests("sendMessage")
    assert sent.text == "Here's what I can help with:"
    assert sent.json("reply_markup") == {
        "inline_keyboard": [
            [{"text": "Track an order", "callback_data": "/order_status"}],
            [{"text": "Our website", "url": "https://example.com/help"}],
        ]
    }


def test_a_long_payload_is_kept_in_memory_and_comes_back_when_pressed(api: TelegramApi) -> None:
    payload = '/inform{"return_reason": "The zip broke the first time I wore it outside"}'
    assert len(payload.encode()) > MAX_CALLBACK_DATA
    telegram = channel(api, payloads=LocalPayloads())  # kept, not replaced at start
    assert telegram.client is not None
    run(
        TelegramOutput(telegram.client).send_text_with_buttons(
            MAYAS_CHAT, "Why?", [{"title": "Broken zip", "payload": payload}]
        )
    )
    keyboard = api.requests("sendMessage")[0].json("reply_markup")["inline_keyboard"]
    data = keyboard[0][0]["callback_data"]
    assert len(data.encode()) <= MAX_CALLBACK_DATA and data != payload
    assert run(telegram.client.callback_data(payload)) == data  # the same payload, the same id

    handler = deliver(telegram, callback_update(data, keyboard=keyboard), rasa=agent(payload))
    assert handler.texts == [payload]


def test_a_button_one_process_sent_works_when_pressed_on_another(
    api: TelegramApi, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RELAY_REDIS_URL", redis_url)  # both processes keep payloads in Redis
    payload = '/inform{"return_reason": "The zip broke the first time I wore it outside"}'
    sender, presser = channel(api), channel(api)

    async def send() -> None:
        assert sender.client is not None
        async with serving(app_for(sender, Recorder())):
            buttons = [{"title": "Broken zip", "payload": payload}]
            await TelegramOutput(sender.client).send_text_with_buttons(MAYAS_CHAT, "Why?", buttons)
        await sender.close()

    run(send())
    keyboard = api.requests("sendMessage")[0].json("reply_markup")["inline_keyboard"]
    data = keyboard[0][0]["callback_data"]
    assert data != payload
    handler = deliver(presser, callback_update(data, keyboard=keyboard), rasa=agent(payload))
    assert handler.texts == [payload]


def test_a_forgotten_payload_falls_back_to_the_buttons_title(api: TelegramApi) -> None:
    keyboard = [[{"text": "Broken zip", "callback_data": "relay:forgotten-after-restart"}]]
    handler = deliver(
        channel(api), callback_update("relay:forgotten-after-restart", keyboard=keyboard)
    )
    assert handler.texts == ["Broken zip"]
    assert len(api.requests("answerCallbackQuery")) == 1


# What is not text


@pytest.mark.parametrize(
    "content",
    [
        {
            "sticker": {
                "file_id": "s1",
                "file_unique_id": "su1",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "type": "regular",
                "emoji": "👍",
            }
        },
        {
            "photo": [{"file_id": "p1", "file_unique_id": "pu1", "width": 90, "height": 67}],
            "caption": "my parcel",
        },
        {"voice": {"file_id": "v1", "file_unique_id": "vu1", "duration": 3}},
        {"location": {"latitude": 55.95, "longitude": -3.19}},
        {"document": {"file_id": "d1", "file_unique_id": "du1", "file_name": "receipt.pdf"}},
    ],
    ids=["sticker", "photo", "voice", "location", "document"],
)
def test_what_is_not_text_gets_the_domains_polite_answer(
    api: TelegramApi, content: dict[str, Any]
) -> None:
    handler = deliver(channel(api), message_update(**content))
    assert handler.received == []  # never reaches NLU
    [sent] = api.requests("sendMessage")
    assert (sent.chat_id, sent.text) == ("1001", UNSUPPORTED)


def test_the_polite_answer_is_the_domain_of_the_servers_services(
    api: TelegramApi, services: Services, tmp_path: Path
) -> None:
    domain = tmp_path / "domain.yml"
    domain.write_text(
        f"responses:\n  {channel_module.UNSUPPORTED}:\n    - text: Text only, please.\n",
        encoding="utf-8",
    )
    own = services.replaced(replies=Replies(domain))
    location = {"location": {"latitude": 55.95, "longitude": -3.19}}
    telegram = channel(api)
    answers = run(
        post_all(app_for(telegram, Recorder(), agent(), own), telegram, message_update(**location))
    )
    assert [answer.status_code for answer in answers] == [200]
    [sent] = api.requests("sendMessage")
    assert sent.text == "Text only, please."


def test_a_domain_without_the_polite_answer_stops_the_start(
    api: TelegramApi, services: Services, tmp_path: Path
) -> None:
    domain = tmp_path / "domain.yml"
    domain.write_text("responses: {}\n", encoding="utf-8")
    app = app_for(channel(api), Recorder(), agent(), services.replaced(replies=Replies(domain)))

    async def start() -> None:
        async with serving(app):
            pass

    with pytest.raises(MissingResponse, match=channel_module.UNSUPPORTED):
        run(start())


def test_service_messages_are_ignored(api: TelegramApi) -> None:
    joined = message_update(chat=GROUP, new_chat_members=[TOM])
    handler = deliver(channel(api), joined, {"update_id": 42, "my_chat_member": {}})
    assert handler.received == [] and api.requests("sendMessage") == []


# Groups


def group_message(text: str, **content: Any) -> dict[str, Any]:
    return message_update(text, chat=GROUP, **content)


def test_in_a_group_only_messages_for_the_bot_are_answered(api: TelegramApi) -> None:
    bot_message = {"message_id": 5, "from": BOT_USER, "chat": GROUP, "date": 1, "text": "Hi!"}
    other_message = {**bot_message, "from": TOM}
    mention = group_message(
        "@relay_test_bot where is my order 100231",
        entities=[{"offset": 0, "length": 15, "type": "mention"}],
    )
    updates = [
        group_message("where is my order 100231"),
        mention,
        group_message("and the other one?", reply_to_message=bot_message),
        group_message("I agree", reply_to_message=other_message),
        group_message("/start@relay_test_bot"),
        group_message("/start@some_other_bot"),
        group_message("hello @someone", entities=[{"offset": 6, "length": 8, "type": "mention"}]),
        message_update(
            chat=GROUP,
            sticker={
                "file_id": "s",
                "file_unique_id": "s",
                "width": 1,
                "height": 1,
                "is_animated": False,
                "is_video": False,
                "type": "regular",
            },
        ),
    ]
    handler = deliver(channel(api), *updates)
    assert handler.texts == ["where is my order 100231", "and the other one?", "/greet"]
    assert {message.sender_id for message in handler.received} == {"telegram--100123"}
    assert {message.metadata["telegram_user_id"] for message in handler.received} == {1001}
    assert [c.text for c in api.requests("sendMessage")] == ["bot reply"] * 3


def test_a_text_mention_of_the_bot_counts(api: TelegramApi) -> None:
    update = group_message(
        "Relay, is the Manchester shop open?",
        entities=[{"offset": 0, "length": 5, "type": "text_mention", "user": BOT_USER}],
    )
    assert deliver(channel(api), update).texts == ["Relay, is the Manchester shop open?"]


# Sending: limits and errors


def test_a_long_text_is_split_into_messages_telegram_accepts(api: TelegramApi) -> None:
    paragraph = "Your parcel is on its way. " * 100
    text = "\n\n".join([paragraph.strip()] * 3)
    run(TelegramOutput(client(api)).send_text_message(MAYAS_CHAT, text))
    sent = [call.text for call in api.requests("sendMessage")]
    assert sent == [paragraph.strip()] * 3  # cut between paragraphs
    assert all(len(piece) <= MAX_TEXT for piece in sent)


def test_split_text_counts_utf16_and_never_loses_words() -> None:
    emoji = "🙂" * 3000  # 2 UTF-16 units each
    pieces = split_text(emoji)
    assert [len(p.encode("utf-16-le")) // 2 <= MAX_TEXT for p in pieces] == [True, True]
    assert "".join(pieces) == emoji
    words = " ".join(f"word{i}" for i in range(2000))
    assert " ".join(split_text(words, limit=100)).split() == words.split()
    assert split_text("") == []


def test_messages_to_one_chat_are_spaced(api: TelegramApi) -> None:
    output = TelegramOutput(client(api, interval=0.3))

    async def send() -> None:
        await asyncio.gather(
            *(output.send_text_message(MAYAS_CHAT, f"part {n}") for n in range(3)),
            output.send_text_message("telegram-1002", "someone else"),
        )

    run(send())
    to_maya = api.requests("sendMessage", "1001")
    assert [c.text for c in to_maya] == ["part 0", "part 1", "part 2"]
    gaps = [later.at - earlier.at for earlier, later in zip(to_maya, to_maya[1:], strict=False)]
    assert all(gap >= 0.27 for gap in gaps), gaps
    [to_tom] = api.requests("sendMessage", "1002")
    assert to_tom.at - to_maya[0].at < 0.2  # another chat does not wait


def test_retry_after_is_waited_out_then_the_message_sent(api: TelegramApi) -> None:
    sleeps = Sleeps()
    api.fail("sendMessage", "retry_after", seconds=3)
    run(TelegramOutput(client(api, sleep=sleeps)).send_text_message(MAYAS_CHAT, "hello"))
    assert sleeps.seconds == [3.0]
    assert [c.fault for c in api.calls if c.method == "sendMessage"] == ["retry_after", None]


def test_retry_after_really_waits(api: TelegramApi) -> None:
    api.fail("sendMessage", "retry_after", seconds=1)
    run(TelegramOutput(client(api)).send_text_message(MAYAS_CHAT, "hello"))
    failed, sent = [c for c in api.calls if c.method == "sendMessage"]
    assert sent.at - failed.at >= 0.95


def test_a_blocked_bot_is_logged_and_skipped(
    api: TelegramApi, caplog: pytest.LogCaptureFixture
) -> None:
    api.fail("sendMessage", "forbidden")
    output = TelegramOutput(client(api))

    async def send() -> None:
        await output.send_text_message(MAYAS_CHAT, "hello")  # must not raise
        await output.send_text_message("telegram-1002", "hello Tom")

    with caplog.at_level(logging.WARNING):
        run(send())
    assert [c.chat_id for c in api.requests("sendMessage")] == ["1002"]
    assert any("blocked" in record.message for record in caplog.records)
    assert output.undelivered == [BLOCKED_REASON]


def test_a_rejected_request_is_logged_not_retried(api: TelegramApi) -> None:
    api.fail("sendMessage", "bad_request")
    output = TelegramOutput(client(api))
    run(output.send_text_message(MAYAS_CHAT, "hello"))
    assert len([c for c in api.calls if c.method == "sendMessage"]) == 1
    assert output.undelivered == [REJECTED_REASON.format(detail="chat not found")]
    assert output.undelivered == ["Telegram refused the message (chat not found)"]


def test_a_timeout_is_retried_with_backoff(api: TelegramApi) -> None:
    sleeps = Sleeps()
    api.fail("sendMessage", "slow", seconds=1.0)
    started = time.monotonic()
    output = TelegramOutput(client(api, timeout=0.3, sleep=sleeps))
    run(output.send_text_message(MAYAS_CHAT, "hi"))
    assert time.monotonic() - started < 1.0
    assert sleeps.seconds == [0.01]
    assert [c.fault for c in api.calls if c.method == "sendMessage"] == ["slow", None]
    assert output.undelivered == []  # it arrived in the end


def test_three_timeouts_give_up_without_raising(
    api: TelegramApi, caplog: pytest.LogCaptureFixture
) -> None:
    sleeps = Sleeps()
    api.fail("sendMessage", "slow", seconds=1.0, times=3)
    output = TelegramOutput(client(api, timeout=0.2, sleep=sleeps))
    with caplog.at_level(logging.ERROR):
        run(output.send_text_message(MAYAS_CHAT, "hi"))
    assert sleeps.seconds == [0.01, 0.02]  # exponential
    assert len([c for c in api.calls if c.method == "sendMessage"]) == 3
    assert any("failed" in record.message for record in caplog.records)
    assert output.undelivered == [UNREACHABLE_REASON]


def test_a_flood_limit_that_does_not_end_is_given_up(api: TelegramApi) -> None:
    sleeps = Sleeps()
    api.fail("sendMessage", "retry_after", seconds=5, times=4)
    output = TelegramOutput(client(api, sleep=sleeps))
    run(output.send_text_message(MAYAS_CHAT, "hi"))
    assert sleeps.seconds == [5.0, 5.0, 5.0]
    assert output.undelivered == [FLOOD_REASON]


def test_what_arrived_leaves_nothing_undelivered(api: TelegramApi) -> None:
    output = TelegramOutput(client(api))

    async def send() -> None:
        await output.send_text_message(MAYAS_CHAT, "hello")
        await output.send_text_with_buttons(MAYAS_CHAT, "Pick one", [{"title": "Yes"}])
        await output.send_image_url(MAYAS_CHAT, "https://example.com/hoodie.jpg")
        await output.send_custom_json(MAYAS_CHAT, {"text": "From a custom action"})

    run(send())
    assert output.undelivered == []
    assert len(api.requests("sendMessage")) == 3 and len(api.requests("sendPhoto")) == 1


def test_each_message_given_up_has_its_reason(api: TelegramApi) -> None:
    api.fail("sendPhoto", "forbidden")
    api.fail("sendMessage", "bad_request")
    output = TelegramOutput(client(api))

    async def send() -> None:
        await output.send_image_url(MAYAS_CHAT, "https://example.com/hoodie.jpg")
        await output.send_text_with_buttons(MAYAS_CHAT, "Pick one", [{"title": "Yes"}])
        await output.send_text_message(MAYAS_CHAT, "this one arrives")

    run(send())
    assert output.undelivered == [
        BLOCKED_REASON,
        "Telegram refused the message (chat not found)",
    ]
    assert [c.text for c in api.requests("sendMessage")] == ["this one arrives"]


def test_a_long_text_stops_at_the_first_piece_given_up(api: TelegramApi) -> None:
    paragraph = "Your parcel is on its way. " * 100
    api.fail("sendMessage", "forbidden")
    output = TelegramOutput(client(api))
    run(output.send_text_message(MAYAS_CHAT, "\n\n".join([paragraph.strip()] * 3)))
    assert api.requests("sendMessage") == []  # not the second and third pieces alone
    assert len([c for c in api.calls if c.method == "sendMessage"]) == 1
    assert output.undelivered == [BLOCKED_REASON]


def test_an_agents_reply_that_is_not_delivered_says_why(api: TelegramApi) -> None:
    # What the console does: a fresh output from the channel, send_response, then read it.
    telegram = channel(api)
    api.fail("sendMessage", "forbidden")
    output = telegram.get_output_channel()
    assert isinstance(output, TelegramOutput) and output.undelivered == []
    run(output.send_response(MAYAS_CHAT, {"text": "Hi, I'm Alice from the team."}))
    assert output.undelivered == [
        "the customer has blocked the bot on Telegram (or removed it from the chat)"
    ]
    later = telegram.get_output_channel()
    assert isinstance(later, TelegramOutput) and later.undelivered == []


def test_the_client_raises_undelivered_and_call_returns_none(api: TelegramApi) -> None:
    telegram_client = client(api)
    api.fail("sendMessage", "forbidden", times=2)

    async def send() -> Any:
        with pytest.raises(Undelivered) as raised:
            await telegram_client.request("send_message", "1001", text="hi")
        assert raised.value.reason == BLOCKED_REASON
        assert str(raised.value) == f"telegram send_message to 1001: {BLOCKED_REASON}"
        return await telegram_client.call("send_message", "1001", text="hi")

    assert run(send()) is None


def test_images_and_custom_messages(api: TelegramApi) -> None:
    output = TelegramOutput(client(api))

    async def send() -> None:
        await output.send_image_url(MAYAS_CHAT, "https://example.com/hoodie.jpg")
        await output.send_custom_json(MAYAS_CHAT, {"text": "From a custom action"})
        await output.send_custom_json(MAYAS_CHAT, {"carousel": [1, 2]})

    run(send())
    assert api.requests("sendPhoto")[0].params["photo"] == "https://example.com/hoodie.jpg"
    assert [c.text for c in api.requests("sendMessage")] == ["From a custom action"]


def test_the_output_channel_is_what_agents_reply_through(api: TelegramApi) -> None:
    telegram = channel(api)
    output = telegram.get_output_channel()
    assert isinstance(output, TelegramOutput) and output.name() == "relay_telegram"
    run(output.send_response(MAYAS_CHAT, {"text": "Hi, I'm Alice from the team."}))
    assert [(c.chat_id, c.text) for c in api.requests("sendMessage")] == [
        ("1001", "Hi, I'm Alice from the team.")
    ]


def test_the_bot_is_initialised_once(api: TelegramApi) -> None:
    deliver(channel(api), message_update("one"), message_update("two"), callback_update("/deny"))
    assert len(api.requests("getMe")) == 1


@pytest.mark.parametrize("recipient", ["1001", "rest-1001", "widget-1001", "site-1001"])
def test_only_telegram_conversations_are_sent_to_telegram(api: TelegramApi, recipient: str) -> None:
    with pytest.raises(ValueError, match="not a telegram conversation"):
        run(TelegramOutput(client(api)).send_text_message(recipient, "hello"))
    assert api.requests("sendMessage") == []
