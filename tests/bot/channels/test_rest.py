"""bot/channels/rest.py: who a REST caller is, its outbox, bad input, floods and the gate."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.shared.core.events import BotUttered, ConversationPaused, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Sanic

from bot.channels.flood import PER_CONVERSATION, Floodgate, Limit
from bot.channels.inbound import CLIENT_KEY, MAX_BODY, MAX_TEXT
from bot.channels.outbox import Outbox
from bot.channels.replies import MissingResponse, Replies
from bot.channels.rest import (
    BAD_SENDER,
    MAX_SENDER,
    MIN_ANONYMOUS_SENDER,
    RESPONSES,
    SHORT_SENDER,
    UNAUTHORIZED,
    OutboxOutput,
    RelayRestInput,
    RestConfigError,
)
from bot.handoff.tickets import TicketStore
from bot.services import Services
from bot.tools.soak.stack import free_port
from tests.support.asgi import serving
from tests.support.http1 import status_of
from tests.support.rasa import Recorder, StandInAgent
from tests.support.slow import BLOCK, STALL, Slow, alongside
from tests.support.tickets import open_ticket

BUTTONS = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]
SENDER = "k7Qe2Lr9xPa0Zt4M"  # what a chat front-end generates: random, 16+ characters
TOKEN = "a-backend-token-of-some-length"


@pytest.fixture(autouse=True)
def sanic_test_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lets several apps start in one process (Sanic rewrites its request handling once)."""
    monkeypatch.setattr(Sanic, "test_mode", True)


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def rest_app(
    services: Services,
    handler: Recorder,
    channel: RelayRestInput | None = None,
    agent: StandInAgent | None = None,
) -> Sanic:
    app = Sanic("relay_rest_test")  # test mode lets each test build its own
    app.ctx.services = services
    app.blueprint((channel or RelayRestInput()).blueprint(handler), url_prefix="/webhooks/rest")
    app.ctx.agent = agent or StandInAgent()
    return app


def call(app: Sanic, method: str, path: str, **options: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        async with serving(app) as client:
            return await client.request(method, "/webhooks/rest" + path, **options)

    return run(go())


def post(app: Sanic, body: Any, **options: Any) -> httpx.Response:
    return call(app, "POST", "/webhook", json=body, **options)


def bearer(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# OutboxOutput


def test_outbox_output_keeps_messages_for_their_recipient(outbox: Outbox) -> None:
    output = OutboxOutput(outbox)
    run(output.send_text_message("rest-1", "Your order shipped."))
    run(output.send_text_message("rest-2", "Hello"))
    assert outbox.pull("rest-1") == [{"id": 1, "text": "Your order shipped."}]
    assert outbox.pull("rest-2") == [{"id": 2, "text": "Hello"}]


def test_outbox_output_keeps_buttons_and_still_collects(outbox: Outbox) -> None:
    output = OutboxOutput(outbox)
    run(output.send_response("rest-1", {"text": "Did that help?", "buttons": BUTTONS}))
    assert outbox.pull("rest-1") == [{"id": 1, "text": "Did that help?", "buttons": BUTTONS}]
    assert output.messages == [
        {"recipient_id": "rest-1", "text": "Did that help?", "buttons": BUTTONS}
    ]
    assert isinstance(output, CollectingOutputChannel)


def test_outbox_output_keeps_each_paragraph_as_a_message(outbox: Outbox) -> None:
    run(OutboxOutput(outbox).send_text_message("rest-1", "First.\n\nSecond."))
    assert [message["text"] for message in outbox.pull("rest-1")] == ["First.", "Second."]


def test_the_channel_is_named_rest_and_sends_out_of_turn_through_the_outbox(
    services: Services,
) -> None:
    channel = RelayRestInput()
    channel.served.bind(services)
    assert RelayRestInput.name() == OutboxOutput.name() == "rest"
    assert isinstance(channel.get_output_channel(), OutboxOutput)
    assert channel.get_output_channel() is not channel.get_output_channel()


# Credentials


def test_credentials_default_to_anonymous_callers() -> None:
    channel = RelayRestInput.from_credentials({"token": "", "senders_are_customers": ""})
    assert isinstance(channel, RelayRestInput)
    assert RelayRestInput.from_credentials(None) is not None


@pytest.mark.parametrize("flag", ["yes", "true", "1", "on"])
def test_senders_are_customers_needs_the_token(flag: str) -> None:
    with pytest.raises(RestConfigError, match="needs its `token`"):
        RelayRestInput.from_credentials({"token": "", "senders_are_customers": flag})
    assert RelayRestInput.from_credentials({"token": TOKEN, "senders_are_customers": flag})


def test_credentials_refuse_unknown_keys_and_unclear_flags() -> None:
    with pytest.raises(RestConfigError, match="unknown key"):
        RelayRestInput.from_credentials({"tokne": TOKEN})
    with pytest.raises(RestConfigError, match="no yes/no"):
        RelayRestInput.from_credentials({"token": TOKEN, "senders_are_customers": "maybe"})


# Who the caller is


def test_an_anonymous_caller_has_a_rest_conversation_of_its_own(
    services: Services, outbox: Outbox
) -> None:
    handler = Recorder()
    body = {"sender": SENDER, "message": "hi", "input_channel": "relay_telegram"}
    answer = post(rest_app(services, handler), body)
    assert answer.status_code == 200
    assert answer.json() == [{"recipient_id": SENDER, "text": "bot reply"}]
    [message] = handler.received
    assert (message.sender_id, message.text, message.input_channel) == (
        f"rest-{SENDER}",
        "hi",
        "rest",
    )
    assert outbox.pull(f"rest-{SENDER}") == []  # replies in turn go back in the response


def test_a_telegram_id_on_rest_names_a_rest_conversation_not_the_telegram_one(
    services: Services,
) -> None:
    handler = Recorder()
    channel = RelayRestInput(token=TOKEN)
    assert post(
        rest_app(services, handler, channel), {"sender": "1001", "message": "hi"}, headers=bearer()
    )
    assert [message.sender_id for message in handler.received] == ["rest-1001"]


def test_an_anonymous_callers_metadata_is_ignored_but_its_address_is_kept(
    services: Services,
) -> None:
    handler = Recorder()
    metadata = {"first_name": "Maya", "telegram_user_id": 1001, CLIENT_KEY: "forged"}
    post(rest_app(services, handler), {"sender": SENDER, "message": "hi", "metadata": metadata})
    [message] = handler.received
    assert set(message.metadata) == {CLIENT_KEY}
    assert message.metadata[CLIENT_KEY].startswith("ip:")


def test_a_vouched_sender_is_the_shops_customer(services: Services) -> None:
    handler = Recorder()
    channel = RelayRestInput(token=TOKEN, senders_are_customers=True)
    body = {"sender": "web-maya", "message": "hi", "metadata": {"first_name": "Maya", "x": 1}}
    answer = post(rest_app(services, handler, channel), body, headers=bearer())
    assert answer.json() == [{"recipient_id": "web-maya", "text": "bot reply"}]
    [message] = handler.received
    assert message.sender_id == "site-web-maya"
    assert message.metadata == {CLIENT_KEY: "rest:web-maya", "first_name": "Maya"}


@pytest.mark.parametrize("headers", [{}, bearer("wrong"), {"Authorization": TOKEN}])
def test_with_a_token_every_route_needs_it(
    services: Services, store: TicketStore, headers: dict[str, str]
) -> None:
    handler = Recorder()
    app = rest_app(services, handler, RelayRestInput(token=TOKEN))
    answer = post(app, {"sender": "alice", "message": "hi"}, headers=headers)
    assert (answer.status_code, answer.json()) == (401, {"error": UNAUTHORIZED})
    outbox = call(app, "GET", "/messages", params={"sender": "alice"}, headers=headers)
    assert outbox.status_code == 401
    assert handler.received == []


@pytest.mark.parametrize("token", [b"\xff\xfe", TOKEN.encode() + b"\xff"])
def test_an_undecodable_token_is_refused_not_a_crash(
    services: Services, store: TicketStore, token: bytes
) -> None:
    handler = Recorder()
    app = rest_app(services, handler, RelayRestInput(token=TOKEN))
    headers = b"Authorization: Bearer " + token + b"\r\nContent-Type: application/json\r\n"
    body = b'{"sender": "alice", "message": "hi"}'
    assert status_of(app, "POST", "/webhooks/rest/webhook", headers, body) == 401
    assert status_of(app, "GET", "/webhooks/rest/messages?sender=alice", headers) == 401
    assert handler.received == []


@pytest.mark.parametrize("sender", ["alice", "x" * (MIN_ANONYMOUS_SENDER - 1)])
def test_an_anonymous_sender_must_be_hard_to_guess(services: Services, sender: str) -> None:
    answer = post(rest_app(services, Recorder()), {"sender": sender, "message": "hi"})
    assert (answer.status_code, answer.json()) == (400, {"error": SHORT_SENDER})


@pytest.mark.parametrize(
    "sender",
    [
        None,
        "",
        42,
        ["a" * 20],
        "x" * (MAX_SENDER + 1),
        "a b c d e f g h i j",
        "ab/../../etc/passwd",
    ],
)
def test_a_malformed_sender_is_refused(services: Services, sender: Any) -> None:
    answer = post(rest_app(services, Recorder()), {"sender": sender, "message": "hi"}, headers={})
    assert (answer.status_code, answer.json()) == (400, {"error": BAD_SENDER})


# The outbox


def test_the_outbox_holds_only_the_callers_own_conversation(
    services: Services, outbox: Outbox
) -> None:
    first = outbox.push(f"rest-{SENDER}", {"text": "First."})
    outbox.push("widget-" + SENDER, {"text": "A widget customer's."})
    outbox.push("telegram-1001", {"text": "Maya's, on Telegram."})
    third = outbox.push(f"rest-{SENDER}", {"text": "Did that help?", "buttons": BUTTONS})
    app = rest_app(services, Recorder())

    answer = call(app, "GET", "/messages", params={"sender": SENDER, "after": str(first)})
    assert answer.json() == {
        "messages": [{"id": third, "text": "Did that help?", "buttons": BUTTONS}]
    }
    for other in ("widget-" + SENDER, "telegram-1001000000000000"):
        reply = call(app, "GET", "/messages", params={"sender": other})
        assert reply.json() == {"messages": []}


@pytest.mark.parametrize("after", ["abc", "-1", "1.5", "²", "9" * 20])
def test_the_outbox_needs_a_numeric_after(
    services: Services, store: TicketStore, after: str
) -> None:
    answer = call(
        rest_app(services, Recorder()),
        "GET",
        "/messages",
        params={"sender": SENDER, "after": after},
    )
    assert answer.status_code == 400


# Bad input


@pytest.mark.parametrize(
    ("content", "status"),
    [
        ({"content": b"{not json", "headers": {"Content-Type": "application/json"}}, 400),
        ({"content": b"\xff\xfe{}", "headers": {"Content-Type": "application/json"}}, 400),
        ({"content": b'["a list"]', "headers": {"Content-Type": "application/json"}}, 400),
        ({"content": b'{"sender": "x"}', "headers": {"Content-Type": "text/plain"}}, 415),
        ({"data": {"sender": SENDER, "message": "hi"}}, 415),  # a form
        ({"content": b" " * (MAX_BODY + 1), "headers": {"Content-Type": "application/json"}}, 413),
    ],
    ids=["malformed", "invalid utf-8", "list", "text/plain", "form", "huge"],
)
def test_a_body_that_is_no_json_object_is_refused(
    services: Services, content: dict[str, Any], status: int
) -> None:
    handler = Recorder()
    answer = call(rest_app(services, handler), "POST", "/webhook", **content)
    assert answer.status_code == status and "error" in answer.json()
    assert handler.received == []


@pytest.mark.parametrize(
    ("message", "status"),
    [(None, 400), ("", 400), ("  \n\t ", 400), (12, 400), ("x" * (MAX_TEXT + 1), 413)],
)
def test_an_empty_or_huge_message_is_refused(services: Services, message: Any, status: int) -> None:
    handler = Recorder()
    answer = post(rest_app(services, handler), {"sender": SENDER, "message": message})
    assert answer.status_code == status
    assert handler.received == []


def test_control_characters_and_lone_surrogates_are_dropped(services: Services) -> None:
    handler = Recorder()
    raw = '{"sender": "' + SENDER + '", "message": "where\\u0000 is\\u0007 my\\ud800 order?\\n"}'
    answer = call(
        rest_app(services, handler),
        "POST",
        "/webhook",
        content=raw.encode(),
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 200
    assert [message.text for message in handler.received] == ["where is my order?"]


def test_emoji_and_right_to_left_text_pass_unchanged(services: Services) -> None:
    handler = Recorder()
    for text in ("🙂🙂🙂", "שלום, איפה ההזמנה שלי?", "مرحبا order 100231"):
        assert (
            post(rest_app(services, handler), {"sender": SENDER, "message": text}).status_code
            == 200
        )
    assert [message.text for message in handler.received] == [
        "🙂🙂🙂",
        "שלום, איפה ההזמנה שלי?",
        "مرحبا order 100231",
    ]


def test_a_flood_is_refused_politely(services: Services) -> None:
    handler = Recorder()
    channel = RelayRestInput(floodgate=Floodgate(Limit(3, 60), Limit(100, 60)))
    app = rest_app(services, handler, channel)

    async def flood() -> list[httpx.Response]:
        async with serving(app) as client:
            body = {"sender": SENDER, "message": "hi"}
            return [await client.post("/webhooks/rest/webhook", json=body) for _ in range(5)]

    answers = run(flood())
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429, 429]
    assert answers[-1].json()["messages"] == [
        {"recipient_id": SENDER, "text": Replies().text("utter_slow_down")}
    ]
    assert len(handler.received) == 3


def test_two_processes_sharing_redis_share_the_flood_limit(
    services: Services, redis_url: str
) -> None:
    shared = replace(services.settings, redis_url=redis_url)
    handler = Recorder()
    apps = [rest_app(Services(shared), handler) for _ in range(2)]  # two Rasa servers

    async def flood() -> list[int]:
        async with serving(apps[0]) as first, serving(apps[1]) as second:
            body = {"sender": SENDER, "message": "hi"}
            clients = (first, second)
            answers = [
                await clients[n % 2].post("/webhooks/rest/webhook", json=body)
                for n in range(PER_CONVERSATION.count + 2)
            ]
        return [answer.status_code for answer in answers]

    assert run(flood()) == [200] * PER_CONVERSATION.count + [429, 429]


def test_with_redis_down_messages_are_still_answered(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    down = replace(services.settings, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    handler = Recorder()
    app = rest_app(Services(down), handler)

    async def chat() -> list[int]:
        async with serving(app) as client:
            body = {"sender": SENDER, "message": "hi"}
            return [
                (await client.post("/webhooks/rest/webhook", json=body)).status_code
                for _ in range(3)
            ]

    with caplog.at_level(logging.WARNING, logger="bot.shared_redis"):
        assert run(chat()) == [200, 200, 200]
    assert len(handler.received) == 3
    assert len(caplog.records) == 1  # one warning for the outage, not one per message


def own_domain(folder: Path, *names: str) -> Replies:
    """Replies from a domain of `names`, each saying its own name."""
    path = folder / "domain.yml"
    lines = [f"  {name}:\n    - text: {name} said here\n" for name in names]
    path.write_text("responses:\n" + "".join(lines) if lines else "responses: {}\n", "utf-8")
    return Replies(path)


def test_apologies_are_the_sentences_of_the_servers_own_domain(
    services: Services, tmp_path: Path
) -> None:
    replies = own_domain(tmp_path, *RESPONSES)
    channel = RelayRestInput(floodgate=Floodgate(Limit(1, 60), Limit(100, 60)))
    app = rest_app(services.replaced(replies=replies), Recorder(), channel)

    async def flood() -> list[httpx.Response]:
        async with serving(app) as client:
            body = {"sender": SENDER, "message": "hi"}
            return [await client.post("/webhooks/rest/webhook", json=body) for _ in range(2)]

    answers = run(flood())
    assert answers[-1].json()["messages"] == [
        {"recipient_id": SENDER, "text": "utter_slow_down said here"}
    ]


def test_a_domain_without_an_apology_stops_the_start(services: Services, tmp_path: Path) -> None:
    replies = own_domain(tmp_path, *RESPONSES[1:])
    app = rest_app(services.replaced(replies=replies), Recorder())

    async def start() -> None:
        async with serving(app):
            pass

    with pytest.raises(MissingResponse, match=RESPONSES[0]):
        run(start())


# Through the gate


def test_a_typed_restart_does_not_wake_a_paused_conversation(
    services: Services, store: TicketStore
) -> None:
    agent = StandInAgent()
    conversation = f"rest-{SENDER}"
    events = [UserUttered("a person please"), ConversationPaused()]
    run(agent.tracker_store.save(DialogueStateTracker.from_events(conversation, events)))
    handler = Recorder(reply=None)
    app = rest_app(services, handler, agent=agent)
    for typed in ("/restart", '/inform{"customer_id": 1}', "/session_start", "///"):
        assert post(app, {"sender": SENDER, "message": typed}).status_code == 200
    assert [message.text for message in handler.received] == [
        "restart",
        'inform{"customer_id": 1}',
        "session_start",
        "?",
    ]


def test_a_button_the_bot_offered_is_sent_as_its_payload(
    services: Services, store: TicketStore
) -> None:
    agent = StandInAgent()
    conversation = f"rest-{SENDER}"
    offer = BotUttered("Shall I cancel it?", data={"buttons": BUTTONS})
    run(agent.tracker_store.save(DialogueStateTracker.from_events(conversation, [offer])))
    handler = Recorder(reply=None)
    app = rest_app(services, handler, agent=agent)
    post(app, {"sender": SENDER, "message": "/affirm"})
    post(app, {"sender": SENDER, "message": "/cancel_order"})
    assert [message.text for message in handler.received] == ["/affirm", "cancel_order"]


def test_never_mind_while_waiting_withdraws_the_ticket(
    services: Services, store: TicketStore
) -> None:
    agent = StandInAgent()
    conversation = f"rest-{SENDER}"
    events = [UserUttered("a person please", input_channel="rest"), ConversationPaused()]
    offer = BotUttered("Changed your mind?", data={"buttons": [{"payload": "/nevermind"}]})
    tracker = DialogueStateTracker.from_events(conversation, [*events[:1], offer, events[1]])
    run(agent.tracker_store.save(tracker))
    ticket = open_ticket(store, conversation)
    handler = Recorder(reply=None)

    answer = post(
        rest_app(services, handler, agent=agent), {"sender": SENDER, "message": "/nevermind"}
    )
    assert answer.status_code == 200
    assert [message.text for message in handler.received] == ["/nevermind"]
    assert store.get(ticket["id"])["status"] == "returned_to_bot"
    assert not run(agent.tracker_store.retrieve(conversation)).is_paused()


class BrokenStore:
    async def retrieve(self, conversation_id: str) -> None:
        raise ConnectionError("the tracker database is down")


def test_an_unreadable_conversation_gets_an_apology_and_is_not_handled(services: Services) -> None:
    agent = StandInAgent()
    agent.tracker_store = BrokenStore()  # type: ignore[assignment]
    handler = Recorder()
    answer = post(rest_app(services, handler, agent=agent), {"sender": SENDER, "message": "hi"})
    assert answer.status_code == 503
    assert answer.json()["messages"] == [
        {"recipient_id": SENDER, "text": Replies().text("utter_service_unavailable")}
    ]
    assert handler.received == []


# Off the event loop


def test_a_slow_database_never_holds_up_the_loop_for_the_outbox(
    services: Services, outbox: Outbox
) -> None:
    """Keeping a message for a REST customer and fetching it wait for the database in
    worker threads: the loop (every other request) goes on meanwhile."""
    slow = Slow(outbox, "push", "pull")
    app = rest_app(services.replaced(outbox=slow), Recorder())

    async def send_then_fetch() -> tuple[httpx.Response, float, float]:
        # Started first: the server's start (it reads domain.yml) is not what is timed.
        async with serving(app) as client:

            async def both() -> httpx.Response:
                await OutboxOutput(slow).send_text_message(
                    f"rest-{SENDER}", "An agent will reply soon"
                )
                return await client.get("/webhooks/rest/messages", params={"sender": SENDER})

            return await alongside(both)

    answer, took, gap = run(send_then_fetch())
    assert answer.json() == {"messages": [{"id": 1, "text": "An agent will reply soon"}]}
    assert took >= 2 * BLOCK and gap < STALL
    assert [name for name, _ in slow.calls] == ["push", "pull"]
    assert all(thread != "MainThread" for _, thread in slow.calls)
