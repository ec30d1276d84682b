"""bot/channels/widget.py and widget_session.py: the website widget's sessions and routes.

The routes run in a Sanic app reached through httpx's ASGI transport (as in test_rest.py),
with Rasa's in-memory tracker and lock stores behind a stand-in for the Rasa agent and a
real ticket store on a temporary SQLite file.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from rasa.core.channels.channel import UserMessage
from rasa.shared.core.events import BotUttered, ConversationPaused, UserUttered
from sanic import Sanic

from bot.channels.inbound import MAX_BODY, MAX_TEXT
from bot.channels.outbox import Outbox
from bot.channels.replies import Replies
from bot.channels.widget import (
    BAD_CUSTOMER,
    CUSTOMER_EXPIRED,
    CUSTOMER_TOO_FAR,
    NO_CUSTOMER_EXPIRY,
    RESPONSES,
    STATIC,
    WidgetCollector,
    WidgetInput,
    WidgetOutbox,
    demo_page,
    origin_allowed,
    parse_origins,
)
from bot.channels.widget_messages import MAX_HISTORY, bot_message, handled_by, history
from bot.channels.widget_session import (
    IDENTITY_SECRET_ENV,
    MAX_CUSTOMER_SIGNATURE_SECONDS,
    SECRET_ENV,
    SECRET_FILE,
    Sessions,
    customer_signature,
    widget_secret,
)
from bot.console.conversations import Conversations
from bot.handoff.agents import add_agent
from bot.handoff.context import AGENT_KEY
from bot.handoff.tickets import TicketStore
from bot.services import Services
from tests.support.asgi import serving
from tests.support.rasa import Recorder, StandInAgent
from tests.support.slow import BLOCK, STALL, Slow, alongside

SECRET = b"a-test-secret-that-is-long-enough"
SHOP = "https://shop.example.com"
BUTTONS = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]
CSAT = [{"title": str(n), "payload": f'/inform{{"csat_score": "{n}"}}'} for n in range(1, 6)]
ALICE = {"username": "alice", "name": "Alice Moreau"}
IDENTITY = "the-shops-identity-secret-for-widget-tests"


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


@pytest.fixture(autouse=True)
def sanic_test_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Sanic, "test_mode", True)


@pytest.fixture(autouse=True)
def alice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An agent, in the agents file the services find (set up before them)."""
    monkeypatch.delenv("RELAY_AGENTS_FILE", raising=False)
    monkeypatch.delenv(SECRET_ENV, raising=False)
    add_agent(tmp_path / "agents.yml", "alice", "Alice Moreau", "alice-secret-pw")


def _understands(text: str) -> str:
    return "nevermind" if "never mind" in text else "greet"


@pytest.fixture
def agent() -> StandInAgent:
    return StandInAgent({"version": "3.1", "intents": ["nevermind"]}, understands=_understands)


@pytest.fixture
def rasa() -> Recorder:
    return Recorder()


@pytest.fixture
def channel(services: Services) -> WidgetInput:
    channel = WidgetInput(allowed_origins=frozenset({SHOP}), session_secret=SECRET.decode())
    channel.served.bind(services)
    return channel


@pytest.fixture
def app(channel: WidgetInput, rasa: Recorder, agent: StandInAgent, services: Services) -> Sanic:
    app = Sanic("relay_widget_test")
    app.ctx.services = services
    app.blueprint(channel.blueprint(rasa), url_prefix="/webhooks/widget")
    app.ctx.agent = agent
    app.ctx.input_channels = [channel]
    return app


def call(app: Sanic, *requests: tuple[str, str, dict[str, Any]]) -> list[httpx.Response]:
    """Makes the requests (method, path, httpx keyword arguments) in order."""

    async def calls() -> list[httpx.Response]:
        async with serving(app) as client:
            return [
                await client.request(method, f"/webhooks/widget{path}", **options)
                for method, path, options in requests
            ]

    return run(calls())


def one(app: Sanic, method: str, path: str, **options: Any) -> httpx.Response:
    return call(app, (method, path, options))[0]


def token_and_sender(channel: WidgetInput) -> tuple[str, str]:
    return channel.sessions.issue()


# Sessions


def test_a_session_names_a_widget_conversation_that_only_its_token_opens() -> None:
    sessions = Sessions(SECRET)
    token, sender = sessions.issue()
    assert re.fullmatch(r"widget-[A-Za-z0-9_-]{24}", sender)
    assert sessions.sender(token) == sender
    assert sender.removeprefix("widget-") == token.split(".")[0]


def test_each_session_is_new() -> None:
    sessions = Sessions(SECRET)
    assert len({sessions.issue()[1] for _ in range(50)}) == 50


@pytest.mark.parametrize(
    "forge",
    [
        lambda token: token.split(".")[0],  # the id alone
        lambda token: token.split(".")[0] + ".",  # no signature
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # altered signature
        lambda token: "A" * 24 + "." + token.split(".")[1],  # another id, same signature
        lambda token: token + "x" * 200,  # too long
        lambda token: "../" + token,
        lambda token: "",
    ],
    ids=["id only", "empty signature", "altered", "other id", "too long", "path", "empty"],
)
def test_a_forged_or_malformed_token_names_no_conversation(forge: Any) -> None:
    sessions = Sessions(SECRET)
    token, _ = sessions.issue()
    assert sessions.sender(forge(token)) is None


def test_a_token_signed_with_another_secret_is_refused() -> None:
    token, _ = Sessions(b"another-secret-of-some-length").issue()
    assert Sessions(SECRET).sender(token) is None
    assert Sessions(SECRET).sender(None) is None
    assert Sessions(SECRET).sender(123) is None  # type: ignore[arg-type]


def test_an_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError):
        Sessions(b"")


def test_the_secret_comes_from_the_configuration_then_the_environment_then_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SECRET_ENV, "from-the-environment-123")
    assert widget_secret(tmp_path, "configured-secret-1234") == b"configured-secret-1234"
    assert widget_secret(tmp_path, None) == b"from-the-environment-123"
    assert not (tmp_path / SECRET_FILE).exists()

    monkeypatch.setenv(SECRET_ENV, "")
    generated = widget_secret(tmp_path / "data", "")
    path = tmp_path / "data" / SECRET_FILE
    assert len(generated) >= 32 and path.read_bytes() == generated
    assert path.stat().st_mode & 0o777 == 0o600
    assert widget_secret(tmp_path / "data") == generated  # kept across restarts


def test_tokens_survive_a_restart_with_a_generated_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SECRET_ENV, raising=False)
    token, sender = Sessions(widget_secret(tmp_path)).issue()
    assert Sessions(widget_secret(tmp_path)).sender(token) == sender


# Configuration


def test_with_no_configuration_only_the_servers_own_origin_is_allowed() -> None:
    channel = WidgetInput.from_credentials(None)
    assert isinstance(channel, WidgetInput)
    assert channel.allowed_origins == frozenset()
    assert WidgetInput.name() == "widget"
    assert WidgetInput.from_credentials({}).allowed_origins == frozenset()


@pytest.mark.parametrize(
    "value",
    [
        "https://Shop.example.com/, http://localhost:8000",
        ["https://shop.example.com", "http://localhost:8000/"],
    ],
    ids=["comma string", "list"],
)
def test_allowed_origins_are_a_list_or_a_comma_string(value: Any) -> None:
    channel = WidgetInput.from_credentials({"allowed_origins": value})
    assert channel.allowed_origins == {SHOP, "http://localhost:8000"}


@pytest.mark.parametrize("value", ["*", "shop.example.com", "https://shop.example.com/chat"])
def test_an_allowed_origin_that_is_not_an_origin_fails_loudly(value: str) -> None:
    with pytest.raises(ValueError, match="allowed_origins"):
        parse_origins(value)


def test_an_unknown_key_fails_loudly() -> None:
    with pytest.raises(ValueError, match="allowed_origin"):
        WidgetInput.from_credentials({"allowed_origin": SHOP})


def test_the_session_secret_comes_from_the_credentials(
    services: Services, store: TicketStore
) -> None:
    channel = WidgetInput.from_credentials({"session_secret": SECRET.decode()})
    assert isinstance(channel, WidgetInput)
    channel.served.bind(services)
    token, sender = Sessions(SECRET).issue()
    assert channel.sessions.sender(token) == sender


def test_an_empty_session_secret_falls_back_to_a_generated_one(
    services: Services, store: TicketStore, tmp_path: Path
) -> None:
    channel = WidgetInput.from_credentials({"session_secret": ""})
    assert isinstance(channel, WidgetInput)
    channel.served.bind(services)
    channel.sessions.issue()
    assert (tmp_path / SECRET_FILE).exists()


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        (None, True),
        ("http://relay", True),
        ("HTTP://RELAY", True),
        (SHOP, True),
        ("https://evil.example", False),
        ("https://shop.example.com.evil.example", False),
        ("null", False),
        ("", False),
    ],
)
def test_which_origins_may_call_the_api(origin: str | None, allowed: bool) -> None:
    assert origin_allowed(origin, "relay", frozenset({SHOP})) is allowed


def test_the_channel_sends_out_of_turn_through_the_outbox_as_the_widget(services: Services) -> None:
    channel = WidgetInput()
    channel.served.bind(services)
    output = channel.get_output_channel()
    assert isinstance(output, WidgetOutbox) and output.name() == "widget"
    assert WidgetCollector.name() == "widget"


# POST/GET /session


def test_post_session_issues_a_session(
    app: Sanic, channel: WidgetInput, store: TicketStore
) -> None:
    answer = one(app, "POST", "/session")
    assert answer.status_code == 200
    body = answer.json()
    assert body["resumed"] is False and body["state"] == "bot"
    assert channel.sessions.sender(body["token"]).startswith("widget-")
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


def test_a_session_is_resumed_with_its_token(
    app: Sanic, channel: WidgetInput, store: TicketStore
) -> None:
    token, _ = token_and_sender(channel)
    posted, got = call(
        app,
        ("POST", "/session", {"json": {"token": token}}),
        ("GET", "/session", {"params": {"token": token}}),
    )
    assert posted.json() == {"token": token, "resumed": True, "state": "bot", "agent": None}
    assert got.json() == posted.json()


def test_resuming_a_forged_session_is_refused(app: Sanic, store: TicketStore) -> None:
    forged = "A" * 24 + ".not-the-signature"
    posted, got, missing = call(
        app,
        ("POST", "/session", {"json": {"token": forged}}),
        ("GET", "/session", {"params": {"token": forged}}),
        ("GET", "/session", {}),
    )
    assert (posted.status_code, got.status_code, missing.status_code) == (403, 403, 401)
    assert "token" not in posted.json()


@pytest.fixture
def shop_identity(monkeypatch: pytest.MonkeyPatch) -> bytes:
    """The secret the shop's backend signs its customers with, as Relay reads it."""
    monkeypatch.setenv(IDENTITY_SECRET_ENV, IDENTITY)
    return IDENTITY.encode()


def signed_in(secret: bytes, expires: int, website_id: str = "web-maya") -> dict[str, Any]:
    """What the widget posts for a customer the shop signed in (expiry as a data- attribute)."""
    signature = customer_signature(secret, website_id, expires)
    return {"customer": website_id, "customerExpires": str(expires), "customerSignature": signature}


def test_a_customer_the_shop_signed_gets_their_own_conversation(
    app: Sanic, channel: WidgetInput, store: TicketStore, shop_identity: bytes
) -> None:
    body = signed_in(shop_identity, int(time.time()) + 3600)
    as_number = {**body, "customerExpires": int(body["customerExpires"])}
    for posted in (body, as_number):
        answer = one(app, "POST", "/session", json=posted)
        assert answer.status_code == 200, answer.text
        assert channel.sessions.sender(answer.json()["token"]) == "site-web-maya"


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (lambda body, now: {**body, "customerSignature": "00" * 32}, BAD_CUSTOMER),
        (lambda body, now: {**body, "customerExpires": str(now + 7200)}, BAD_CUSTOMER),
        (lambda body, now: {**body, "customer": "web-tom"}, BAD_CUSTOMER),
        (lambda body, now: signed_in(b"another shop's secret", now + 3600), BAD_CUSTOMER),
        (lambda body, now: signed_in(IDENTITY.encode(), now - 60), CUSTOMER_EXPIRED),
        (
            lambda body, now: signed_in(
                IDENTITY.encode(), now + MAX_CUSTOMER_SIGNATURE_SECONDS + 3600
            ),
            CUSTOMER_TOO_FAR,
        ),
        (
            lambda body, now: {k: v for k, v in body.items() if k != "customerExpires"},
            NO_CUSTOMER_EXPIRY,
        ),
    ],
    ids=[
        "forged",
        "tampered expiry",
        "another customer",
        "another secret",
        "expired",
        "too far",
        "no expiry",
    ],
)
def test_a_customer_signature_that_does_not_hold_gets_a_403_that_says_why(
    app: Sanic, store: TicketStore, shop_identity: bytes, change: Any, error: str
) -> None:
    now = int(time.time())
    answer = one(app, "POST", "/session", json=change(signed_in(shop_identity, now + 3600), now))
    assert answer.status_code == 403
    assert answer.json() == {"error": error}


def test_a_signature_of_the_id_alone_no_longer_signs_a_customer_in(
    app: Sanic, store: TicketStore, shop_identity: bytes
) -> None:
    old = hmac.new(shop_identity, b"web-maya", hashlib.sha256).hexdigest()
    bare, dated = call(
        app,
        ("POST", "/session", {"json": {"customer": "web-maya", "customerSignature": old}}),
        (
            "POST",
            "/session",
            {
                "json": {
                    "customer": "web-maya",
                    "customerExpires": int(time.time()) + 3600,
                    "customerSignature": old,
                }
            },
        ),
    )
    assert (bare.status_code, bare.json()["error"]) == (403, NO_CUSTOMER_EXPIRY)
    assert (dated.status_code, dated.json()["error"]) == (403, BAD_CUSTOMER)


# POST /message


def test_a_message_goes_to_rasa_as_the_widget_conversation_and_the_replies_come_back(
    app: Sanic, channel: WidgetInput, rasa: Recorder, outbox: Outbox
) -> None:
    token, sender = token_and_sender(channel)
    rasa.replies = [{"text": "Your order shipped."}, {"text": "Anything else?", "buttons": BUTTONS}]
    answer = one(app, "POST", "/message", json={"token": token, "text": "  where is my order?  "})
    assert answer.status_code == 200
    assert answer.json() == {
        "messages": [
            {"from": "bot", "text": "Your order shipped."},
            {"from": "bot", "text": "Anything else?", "buttons": BUTTONS},
        ],
        "state": "bot",
        "agent": None,
    }
    [message] = rasa.received
    assert (message.sender_id, message.text, message.input_channel) == (
        sender,
        "where is my order?",
        "widget",
    )
    assert message.output_channel.name() == "widget"
    assert outbox.pull(sender) == []  # replies in turn are in the response, not the outbox


def test_a_button_payload_is_passed_on_as_the_message(
    app: Sanic, channel: WidgetInput, agent: StandInAgent, rasa: Recorder, store: TicketStore
) -> None:
    token, sender = token_and_sender(channel)
    agent.save(sender, BotUttered("Shall I?", data={"buttons": [{"payload": "/affirm"}]}))
    answer = one(app, "POST", "/message", json={"token": token, "payload": "/affirm"})
    assert answer.status_code == 200
    assert [message.text for message in rasa.received] == ["/affirm"]


def test_a_payload_the_bot_did_not_offer_is_read_as_text(
    app: Sanic, channel: WidgetInput, rasa: Recorder, store: TicketStore
) -> None:
    token, _ = token_and_sender(channel)
    for forged in ({"payload": "/restart"}, {"text": "/restart"}):
        answer = one(app, "POST", "/message", json={"token": token, **forged})
        assert answer.status_code == 200
    assert [message.text for message in rasa.received] == ["restart", "restart"]


def test_a_text_plain_body_is_read_as_json(
    app: Sanic, channel: WidgetInput, rasa: Recorder, store: TicketStore
) -> None:
    token, _ = token_and_sender(channel)
    body = json.dumps({"token": token, "text": "hi"})
    answer = one(
        app, "POST", "/message", content=body, headers={"Content-Type": "text/plain;charset=UTF-8"}
    )
    assert answer.status_code == 200
    assert [message.text for message in rasa.received] == ["hi"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"text": "hi"}, 401),
        ({"token": "", "text": "hi"}, 401),
        ({"token": "A" * 24 + ".forged", "text": "hi"}, 403),
        ({"token": ["a", "list"], "text": "hi"}, 403),
    ],
    ids=["no token", "empty token", "forged token", "not a string"],
)
def test_a_message_without_a_valid_token_is_refused(
    app: Sanic, rasa: Recorder, store: TicketStore, body: dict[str, Any], status: int
) -> None:
    assert one(app, "POST", "/message", json=body).status_code == status
    assert rasa.received == []


def test_a_guessed_conversation_id_is_not_enough(
    app: Sanic, channel: WidgetInput, rasa: Recorder, store: TicketStore
) -> None:
    _, sender = token_and_sender(channel)
    guessed = sender.removeprefix("widget-")
    for token in (guessed, f"{guessed}.", sender):
        answer = one(app, "POST", "/message", json={"token": token, "text": "hi"})
        assert answer.status_code == 403
    assert rasa.received == []


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"text": ""}, 400),
        ({"text": "   \n "}, 400),
        ({}, 400),
        ({"text": 42}, 400),
        ({"payload": "affirm"}, 400),
        ({"text": "x" * (MAX_TEXT + 1)}, 413),
        ({"payload": "/" + "x" * MAX_TEXT}, 413),
    ],
    ids=["empty", "blank", "missing", "number", "payload without slash", "long", "long payload"],
)
def test_empty_or_oversized_messages_are_refused(
    app: Sanic,
    channel: WidgetInput,
    rasa: Recorder,
    store: TicketStore,
    body: dict[str, Any],
    status: int,
) -> None:
    token, _ = token_and_sender(channel)
    answer = one(app, "POST", "/message", json={"token": token, **body})
    assert answer.status_code == status, answer.text
    assert "error" in answer.json()
    assert rasa.received == []


def test_a_message_of_exactly_the_maximum_length_passes(
    app: Sanic, channel: WidgetInput, rasa: Recorder, store: TicketStore
) -> None:
    token, _ = token_and_sender(channel)
    answer = one(app, "POST", "/message", json={"token": token, "text": "x" * MAX_TEXT})
    assert answer.status_code == 200
    assert len(rasa.received[0].text) == MAX_TEXT


@pytest.mark.parametrize(
    ("content", "status"),
    [(b"x" * (MAX_BODY + 1), 413), (b"{not json", 400), (b"[1, 2]", 400), (b"\xff\xfe", 400)],
    ids=["huge body", "broken json", "json list", "not utf-8"],
)
def test_malformed_bodies_are_refused(
    app: Sanic, rasa: Recorder, store: TicketStore, content: bytes, status: int
) -> None:
    assert one(app, "POST", "/message", content=content).status_code == status
    assert rasa.received == []


def test_a_failing_bot_answers_503_without_details(
    app: Sanic, channel: WidgetInput, rasa: Recorder, store: TicketStore
) -> None:
    async def broken(message: UserMessage) -> None:
        raise RuntimeError("the model is not loaded")

    app = Sanic("relay_widget_broken")
    app.blueprint(channel.blueprint(broken), url_prefix="/webhooks/widget")
    token, _ = token_and_sender(channel)
    answer = one(app, "POST", "/message", json={"token": token, "text": "hi"})
    assert answer.status_code == 503
    assert answer.json() == {
        "error": "The assistant is unavailable right now",
        "messages": [{"from": "bot", "text": Replies().text("utter_service_unavailable")}],
    }


def test_apologies_are_the_sentences_of_the_servers_own_domain(
    channel: WidgetInput, agent: StandInAgent, services: Services, tmp_path: Path
) -> None:
    async def broken(message: UserMessage) -> None:
        raise RuntimeError("the model is not loaded")

    domain = tmp_path / "domain.yml"
    lines = "".join(f"  {name}:\n    - text: {name} said here\n" for name in RESPONSES)
    domain.write_text("responses:\n" + lines, encoding="utf-8")
    app = Sanic("relay_widget_own_domain")
    app.ctx.services = services.replaced(replies=Replies(domain))
    app.blueprint(channel.blueprint(broken), url_prefix="/webhooks/widget")
    app.ctx.agent = agent
    token, _ = token_and_sender(channel)
    answer = one(app, "POST", "/message", json={"token": token, "text": "hi"})
    assert answer.json()["messages"] == [
        {"from": "bot", "text": "utter_service_unavailable said here"}
    ]


def test_messages_go_through_the_handoff_gate(
    app: Sanic, channel: WidgetInput, agent: StandInAgent, rasa: Recorder, store: TicketStore
) -> None:
    token, sender = token_and_sender(channel)
    agent.save(sender, UserUttered("a person please", input_channel="widget"), ConversationPaused())
    ticket = open_ticket(store, sender)
    answer = one(app, "POST", "/message", json={"token": token, "text": "never mind"})
    assert answer.status_code == 200
    assert store.get(ticket["id"])["status"] == "returned_to_bot"
    assert answer.json()["state"] == "bot"
    assert [message.text for message in rasa.received] == ["never mind"]


# CORS


def test_an_allowed_origin_is_echoed(app: Sanic, store: TicketStore) -> None:
    answer = one(app, "POST", "/session", headers={"Origin": SHOP})
    assert answer.status_code == 200
    assert answer.headers["Access-Control-Allow-Origin"] == SHOP
    assert answer.headers["Vary"] == "Origin"
    assert "Access-Control-Allow-Credentials" not in answer.headers


def test_the_servers_own_origin_is_allowed_without_configuration(
    rasa: Recorder, agent: StandInAgent, store: TicketStore
) -> None:
    app = Sanic("relay_widget_default")
    app.blueprint(WidgetInput().blueprint(rasa), url_prefix="/webhooks/widget")
    own, other = call(
        app,
        ("POST", "/session", {"headers": {"Origin": "http://relay"}}),
        ("POST", "/session", {"headers": {"Origin": SHOP}}),
    )
    assert own.status_code == 200
    assert other.status_code == 403


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/session"), ("POST", "/message"), ("GET", "/history"), ("GET", "/updates")],
)
def test_other_origins_get_403_and_no_cors_headers(
    app: Sanic,
    channel: WidgetInput,
    rasa: Recorder,
    store: TicketStore,
    method: str,
    path: str,
) -> None:
    token, _ = token_and_sender(channel)
    options: dict[str, Any] = {"headers": {"Origin": "https://evil.example"}}
    if method == "GET":
        options["params"] = {"token": token}
    else:
        options["json"] = {"token": token, "text": "hi"}
    answer = one(app, method, path, **options)
    assert answer.status_code == 403
    assert answer.json() == {"error": "This site may not use the chat"}
    assert "Access-Control-Allow-Origin" not in answer.headers
    assert rasa.received == []


def test_a_preflight_from_an_allowed_origin_is_answered(app: Sanic, store: TicketStore) -> None:
    answer = one(
        app,
        "OPTIONS",
        "/message",
        headers={
            "Origin": SHOP,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert answer.status_code == 204
    assert answer.headers["Access-Control-Allow-Origin"] == SHOP
    assert "POST" in answer.headers["Access-Control-Allow-Methods"]
    assert answer.headers["Access-Control-Allow-Headers"] == "Content-Type"
    assert answer.headers["Vary"] == "Origin"


def test_a_preflight_from_another_origin_is_refused(app: Sanic, store: TicketStore) -> None:
    answer = one(
        app,
        "OPTIONS",
        "/message",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert answer.status_code == 403
    assert "Access-Control-Allow-Origin" not in answer.headers


# GET /history


def open_ticket(store: TicketStore, sender: str) -> dict[str, Any]:
    return store.create(
        conversation_id=sender,
        channel="widget",
        reason_code="request_human",
        explanation="Asked for a person",
        priority=2,
        summary="Asked for a person",
        context={},
        transcript=[],
    )


def test_history_is_the_conversation_so_far_with_agents_named(
    app: Sanic, channel: WidgetInput, agent: StandInAgent, store: TicketStore, outbox: Outbox
) -> None:
    token, sender = token_and_sender(channel)
    agent.save(
        sender,
        UserUttered("where is my order 100231?", input_channel="widget"),
        BotUttered("It shipped.", {"buttons": BUTTONS}),
        UserUttered("/affirm", input_channel="widget"),
        UserUttered("/request_human", input_channel="widget"),
        ConversationPaused(),
        BotUttered("Hi, Alice here.", metadata={AGENT_KEY: ALICE}),
    )
    outbox.push(sender, {"text": "Hi, Alice here."})
    last = outbox.push(sender, {"text": "Anything else?"})
    outbox.push("widget-someone-else", {"text": "not theirs"})
    ticket = open_ticket(store, sender)
    store.claim(ticket["id"], "alice")

    answer = one(app, "GET", "/history", params={"token": token})
    assert answer.status_code == 200
    assert answer.json() == {
        "messages": [
            {"from": "customer", "text": "where is my order 100231?"},
            {"from": "bot", "text": "It shipped.", "buttons": BUTTONS},
            {"from": "customer", "text": "Yes", "payload": "/affirm"},
            {"from": "agent", "agent": "Alice Moreau", "text": "Hi, Alice here."},
        ],
        "after": last,
        "state": "agent",
        "agent": "Alice Moreau",
    }


def test_history_of_a_new_session_is_empty(
    app: Sanic, channel: WidgetInput, store: TicketStore
) -> None:
    token, _ = token_and_sender(channel)
    answer = one(app, "GET", "/history", params={"token": token})
    assert answer.json() == {"messages": [], "after": 0, "state": "bot", "agent": None}


def test_history_needs_the_token(app: Sanic, store: TicketStore) -> None:
    forged, missing = call(
        app,
        ("GET", "/history", {"params": {"token": "A" * 24 + ".x"}}),
        ("GET", "/history", {}),
    )
    assert (forged.status_code, missing.status_code) == (403, 401)


def test_history_shows_a_pressed_csat_star_by_its_title_and_keeps_the_newest() -> None:
    events = [
        {"event": "bot", "text": "How did we do?", "data": {"buttons": CSAT}},
        {"event": "user", "text": '/inform{"csat_score": "5"}'},
        {"event": "user", "text": '/inform{"csat_score": "4"}'},  # no longer offered
    ] + [{"event": "user", "text": f"message {n}"} for n in range(MAX_HISTORY)]
    shown = history(events)
    assert len(shown) == MAX_HISTORY
    assert shown[-1] == {"from": "customer", "text": f"message {MAX_HISTORY - 1}"}
    assert history(events[:3])[1:] == [
        {"from": "customer", "text": "5", "payload": '/inform{"csat_score": "5"}'}
    ]


def test_bot_messages_keep_only_what_the_widget_renders() -> None:
    assert bot_message({"text": "", "buttons": []}) is None
    assert bot_message({"recipient_id": "x", "text": "Hi", "custom": {"a": 1}}) == {"text": "Hi"}
    assert bot_message({"image": "javascript:alert(1)"}) is None
    assert bot_message({"image": "https://example.com/a.png"}) == {
        "image": "https://example.com/a.png"
    }
    assert bot_message({"buttons": [{"title": "No payload"}, "junk", {"payload": "/x"}]}) == {
        "buttons": [{"title": "/x", "payload": "/x"}]
    }


# GET /updates


def test_updates_are_the_messages_sent_later_with_agents_named(
    app: Sanic, channel: WidgetInput, agent: StandInAgent, store: TicketStore, outbox: Outbox
) -> None:
    token, sender = token_and_sender(channel)
    agent.save(sender, UserUttered("a person please", input_channel="widget"))
    ticket = open_ticket(store, sender)
    store.claim(ticket["id"], "alice")
    first = outbox.push(sender, {"text": "Alice from our team has joined the chat."})
    app.ctx.input_channels = [channel]

    async def agent_replies() -> None:
        await Conversations(app).say_as_agent(sender, "Hi, I'm on it.\n\nOne moment.", ALICE)

    run(agent_replies())
    answer = one(app, "GET", "/updates", params={"token": token, "after": str(first)})
    assert answer.status_code == 200
    body = answer.json()
    assert [(m["from"], m.get("agent"), m["text"]) for m in body["messages"]] == [
        ("agent", "Alice Moreau", "Hi, I'm on it."),
        ("agent", "Alice Moreau", "One moment."),
    ]
    assert body["after"] == body["messages"][-1]["id"]
    assert (body["state"], body["agent"]) == ("agent", "Alice Moreau")


def test_updates_with_nothing_new_keep_the_position(
    app: Sanic, channel: WidgetInput, outbox: Outbox
) -> None:
    token, sender = token_and_sender(channel)
    last = outbox.push(sender, {"text": "Earlier."})
    answer = one(app, "GET", "/updates", params={"token": token, "after": str(last)})
    assert answer.json() == {"messages": [], "after": last, "state": "bot", "agent": None}


def test_updates_carry_the_csat_question_from_the_bot(
    app: Sanic, channel: WidgetInput, agent: StandInAgent, outbox: Outbox
) -> None:
    token, sender = token_and_sender(channel)
    agent.save(sender, UserUttered("thanks", input_channel="widget"))
    run(WidgetOutbox(outbox).send_text_with_buttons(sender, "How did we do?", CSAT))
    answer = one(app, "GET", "/updates", params={"token": token})
    [message] = answer.json()["messages"]
    assert message["from"] == "bot" and message["buttons"] == CSAT


@pytest.mark.parametrize("after", ["abc", "-1", "1.5", "9" * 20])
def test_updates_need_a_numeric_after(
    app: Sanic, channel: WidgetInput, store: TicketStore, after: str
) -> None:
    token, _ = token_and_sender(channel)
    assert one(app, "GET", "/updates", params={"token": token, "after": after}).status_code == 400


def test_updates_need_the_token(app: Sanic, channel: WidgetInput, outbox: Outbox) -> None:
    _, sender = token_and_sender(channel)
    outbox.push(sender, {"text": "private"})
    answer = one(app, "GET", "/updates", params={"token": sender})
    assert answer.status_code == 403
    assert "private" not in answer.text


def test_who_handles_the_conversation(services: Services, store: TicketStore) -> None:
    assert handled_by(services, "widget-a") == {"state": "bot", "agent": None}
    ticket = open_ticket(store, "widget-a")
    assert handled_by(services, "widget-a") == {"state": "waiting", "agent": None}
    store.claim(ticket["id"], "alice")
    assert handled_by(services, "widget-a") == {"state": "agent", "agent": "Alice Moreau"}
    store.claim(open_ticket(store, "widget-b")["id"], "gone")
    assert handled_by(services, "widget-b") == {"state": "agent", "agent": None}  # never a username
    store.close(ticket["id"], "alice", "resolved")
    assert handled_by(services, "widget-a") == {"state": "bot", "agent": None}


def test_a_case_followed_up_by_email_leaves_the_bot_in_charge(
    services: Services, store: TicketStore
) -> None:
    store.create(
        conversation_id="widget-a",
        channel="widget",
        reason_code="request_human",
        explanation="Asked for a person",
        priority=2,
        summary="Asked for a person",
        context={},
        transcript=[],
        customer={"id": None, "name": None, "email": "maya@example.com"},
        follow_up_email="maya@example.com",
    )
    assert handled_by(services, "widget-a") == {"state": "bot", "agent": None}


# Static files


def test_the_script_and_style_sheet_are_served_for_other_sites(app: Sanic) -> None:
    script, sheet, missing = call(
        app,
        ("GET", "/widget.js", {}),
        ("GET", "/widget.css", {}),
        ("GET", "/widget.py", {}),
    )
    assert script.status_code == 200 and script.headers["Content-Type"].startswith(
        "text/javascript"
    )
    assert sheet.status_code == 200 and sheet.headers["Content-Type"].startswith("text/css")
    for answer in (script, sheet):
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert missing.status_code == 404


def test_the_demo_page_embeds_the_widget_under_a_strict_csp(app: Sanic) -> None:
    answer = one(app, "GET", "/demo")
    assert answer.status_code == 200
    policy = answer.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    page = answer.text
    assert "Northpeak Outfitters" in page
    assert re.findall(r"<script[^>]*>", page) == [
        '<script type="application/json" id="relay-widget-config">',
        '<script src="/webhooks/widget/widget.js" defer>',
    ]
    block = page.split('id="relay-widget-config">')[1].split("</script>")[0]
    config = json.loads(block)
    assert config["title"] == "Northpeak help" and config["colour"] == "#1f6f5c"
    assert "customer" not in config
    assert "style=" not in page  # inline styles would break the CSP too


def test_the_demo_page_signed_in_carries_the_customer_and_the_expiry(app: Sanic) -> None:
    query = {"customer": "web-maya", "expires": "1800003600", "signature": "ab" * 32}
    page = one(app, "GET", "/demo", params=query).text
    config = json.loads(page.split('id="relay-widget-config">')[1].split("</script>")[0])
    assert config["customer"] == "web-maya" and config["customerExpires"] == "1800003600"
    assert config["customerSignature"] == "ab" * 32 and config["title"] == "Northpeak help"


def test_the_demo_page_signs_in_nobody_without_all_three() -> None:
    page = (STATIC / "demo.html").read_text(encoding="utf-8")
    assert demo_page(page, "web-maya", None, "ab" * 32) == page
    assert demo_page(page, "web-maya", "1800003600", "") == page
    hostile = demo_page(page, "</script><script>alert(1)</script>", "1", "x")
    assert hostile.count("</script>") == page.count("</script>")


def test_the_script_never_renders_text_as_html() -> None:
    script = (STATIC / "widget.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script
    assert "new Function" not in script and 'setAttribute("style"' not in script
    assert "textContent" in script
    assert 'rel = "noopener noreferrer"' in script


def test_the_health_check(app: Sanic) -> None:
    assert one(app, "GET", "/").json() == {"status": "ok"}


def test_inside_rasas_own_app_the_widget_answers_allowed_sites_only(
    agent: StandInAgent, store: TicketStore
) -> None:
    """Rasa's server wraps every route in its CORS layer, which answers every OPTIONS
    itself: the script's simple requests (no preflight) still get the widget's CORS."""
    from rasa.core.run import configure_app

    channel = WidgetInput(allowed_origins=frozenset({SHOP}), session_secret=SECRET.decode())
    app = configure_app([channel], enable_api=True, auth_token="t", route="/webhooks/")
    app.ctx.agent = agent
    plain = {"Content-Type": "text/plain;charset=UTF-8"}
    allowed, refused = call(
        app,
        ("POST", "/session", {"content": "{}", "headers": {**plain, "Origin": SHOP}}),
        (
            "POST",
            "/session",
            {"content": "{}", "headers": {**plain, "Origin": "https://evil.example"}},
        ),
    )
    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == SHOP
    assert refused.status_code == 403
    assert "Access-Control-Allow-Origin" not in refused.headers


def test_history_while_the_model_is_still_loading_is_a_503(
    channel: WidgetInput, rasa: Recorder, store: TicketStore
) -> None:
    app = Sanic("relay_widget_loading")
    app.blueprint(channel.blueprint(rasa), url_prefix="/webhooks/widget")
    app.ctx.agent = None
    token, _ = token_and_sender(channel)
    answer = one(app, "GET", "/history", params={"token": token})
    assert answer.status_code == 503
    assert answer.json() == {"error": "The assistant is unavailable right now"}


# Off the event loop


def test_a_slow_database_never_holds_up_the_loop_while_a_widget_polls(
    app: Sanic, channel: WidgetInput, services: Services, outbox: Outbox, store: TicketStore
) -> None:
    """Every open widget polls /updates: the outbox and the ticket store wait for the
    database in worker threads, and the loop (every other request) goes on meanwhile."""
    token, sender = token_and_sender(channel)
    last = outbox.push(sender, {"text": "Earlier."})
    slow_outbox, slow_tickets = Slow(outbox, "pull"), Slow(store, "open_for")
    app.ctx.services = services.replaced(outbox=slow_outbox, tickets=slow_tickets)

    async def poll() -> tuple[httpx.Response, float, float]:
        # Started first: the server's start (it reads domain.yml) is not what is timed.
        async with serving(app) as client:
            params = {"token": token, "after": str(last)}
            return await alongside(client.get("/webhooks/widget/updates", params=params))

    answer, took, gap = run(poll())
    assert answer.json() == {"messages": [], "after": last, "state": "bot", "agent": None}
    assert took >= 2 * BLOCK and gap < STALL
    assert [name for name, _ in slow_outbox.calls + slow_tickets.calls] == ["pull", "open_for"]
    assert all(thread != "MainThread" for _, thread in slow_outbox.calls + slow_tickets.calls)
