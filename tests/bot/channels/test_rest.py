"""bot/channels/rest.py: the REST channel's outbox, its messages route and its handoff gate.

sanic-testing is not installed, so the routes are reached through Sanic's ASGI interface
with httpx's ASGI transport (after running the app's ASGI lifespan startup).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ConversationPaused, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Sanic

from bot.channels.rest import MAX_SENDER, OutboxOutput, RelayRestInput
from bot.handoff import runtime
from bot.handoff.tickets import TicketStore

BUTTONS = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TicketStore:
    monkeypatch.setenv("RELAY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("RELAY_SHOP_DB_URL", f"sqlite:///{tmp_path / 'tickets.db'}")
    monkeypatch.delenv("RELAY_WEBHOOK_URL", raising=False)
    runtime.reset()
    yield runtime.store()
    runtime.reset()


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


# OutboxOutput


def test_outbox_output_keeps_messages_for_their_recipient(store: TicketStore) -> None:
    output = OutboxOutput()
    run(output.send_text_message("web-1", "Your order shipped."))
    run(output.send_text_message("web-2", "Hello"))
    assert store.pull("web-1") == [{"id": 1, "text": "Your order shipped."}]
    assert store.pull("web-2") == [{"id": 2, "text": "Hello"}]


def test_outbox_output_keeps_buttons(store: TicketStore) -> None:
    output = OutboxOutput()
    run(output.send_text_with_buttons("web-1", "Did that help?", BUTTONS))
    assert store.pull("web-1") == [{"id": 1, "text": "Did that help?", "buttons": BUTTONS}]


def test_outbox_output_still_collects_what_it_sends(store: TicketStore) -> None:
    output = OutboxOutput()
    run(output.send_response("web-1", {"text": "Did that help?", "buttons": BUTTONS}))
    assert output.messages == [
        {"recipient_id": "web-1", "text": "Did that help?", "buttons": BUTTONS}
    ]
    assert isinstance(output, CollectingOutputChannel)


def test_outbox_output_keeps_each_paragraph_as_a_message(store: TicketStore) -> None:
    run(OutboxOutput().send_text_message("web-1", "First.\n\nSecond."))
    assert [message["text"] for message in store.pull("web-1")] == ["First.", "Second."]


def test_outbox_output_is_named_like_the_rest_channel() -> None:
    assert OutboxOutput.name() == "rest"


# RelayRestInput


def test_the_channel_is_named_rest_and_sends_out_of_turn_through_the_outbox() -> None:
    channel = RelayRestInput()
    assert RelayRestInput.name() == "rest"
    assert isinstance(channel.get_output_channel(), OutboxOutput)
    assert channel.get_output_channel() is not channel.get_output_channel()


@pytest.mark.parametrize("claimed", ["facebook", "console", "", None])
def test_a_caller_cannot_claim_another_input_channel(claimed: str | None) -> None:
    request = SimpleNamespace(json={"sender": "web-1", "message": "hi", "input_channel": claimed})
    assert RelayRestInput()._extract_input_channel(request) == "rest"  # type: ignore[arg-type]


# The routes, through ASGI


class Handler:
    """Rasa's message handler: records what reaches it."""

    def __init__(self) -> None:
        self.received: list[UserMessage] = []

    async def __call__(self, message: UserMessage) -> None:
        self.received.append(message)
        await message.output_channel.send_text_message(message.sender_id, "bot reply")


@asynccontextmanager
async def serving(app: Sanic) -> AsyncIterator[httpx.AsyncClient]:
    """Starts `app` through its ASGI lifespan and yields a client that reaches it in-process."""
    events: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    started = asyncio.Event()

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "lifespan.startup.complete":
            started.set()

    scope = {"type": "lifespan", "asgi": {"version": "3.0"}}
    lifespan = asyncio.create_task(app(scope, events.get, send))
    await events.put({"type": "lifespan.startup"})
    await asyncio.wait(
        [lifespan, asyncio.create_task(started.wait())],
        timeout=5,
        return_when=asyncio.FIRST_COMPLETED,
    )
    if lifespan.done():
        lifespan.result()  # raises why the app did not start
    assert started.is_set(), "the app did not start"
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://relay") as client:
            yield client
    finally:
        await events.put({"type": "lifespan.shutdown"})
        # Sanic 21.12 then handles the finished lifespan as if it were a request,
        # which fails on the missing request: nothing went wrong with the app.
        with contextlib.suppress(AttributeError):
            await asyncio.wait_for(lifespan, 5)


@pytest.fixture(autouse=True)
def sanic_test_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lets several apps start in one process (Sanic rewrites its request handling once)."""
    monkeypatch.setattr(Sanic, "test_mode", True)


def rest_app(handler: Callable[[UserMessage], Awaitable[Any]]) -> Sanic:
    app = Sanic("relay_rest_test")  # test mode lets each test build its own
    app.blueprint(RelayRestInput().blueprint(handler), url_prefix="/webhooks/rest")
    return app


def get_messages(app: Sanic, **params: str) -> httpx.Response:
    async def call() -> httpx.Response:
        async with serving(app) as client:
            return await client.get("/webhooks/rest/messages", params=params)

    return run(call())


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"after": "0"},
        {"sender": "", "after": "0"},
        {"sender": "web-1", "after": "abc"},
        {"sender": "web-1", "after": "-1"},
        {"sender": "web-1", "after": "1.5"},
        {"sender": "x" * (MAX_SENDER + 1)},
    ],
    ids=["nothing", "no sender", "empty sender", "word", "negative", "decimal", "long sender"],
)
def test_messages_needs_a_sender_and_a_numeric_after(
    store: TicketStore, params: dict[str, str]
) -> None:
    answer = get_messages(rest_app(Handler()), **params)
    assert answer.status_code == 400
    assert answer.json() == {"error": "sender and a numeric after are required"}


def test_messages_returns_the_senders_messages_after_the_given_id(store: TicketStore) -> None:
    first = store.push("web-1", {"text": "First."})
    store.push("web-2", {"text": "Someone else's."})
    third = store.push("web-1", {"text": "Did that help?", "buttons": BUTTONS})
    app = rest_app(Handler())

    answer = get_messages(app, sender="web-1", after=str(first))
    assert answer.status_code == 200
    assert answer.json() == {
        "messages": [{"id": third, "text": "Did that help?", "buttons": BUTTONS}]
    }


def test_messages_without_after_returns_everything_for_the_sender(store: TicketStore) -> None:
    store.push("web-1", {"text": "First."})
    store.push("web-1", {"text": "Second."})
    answer = get_messages(rest_app(Handler()), sender="web-1")
    assert [message["text"] for message in answer.json()["messages"]] == ["First.", "Second."]


def test_messages_of_a_sender_with_nothing_pending_is_empty(store: TicketStore) -> None:
    store.push("web-1", {"text": "First."})
    app = rest_app(Handler())
    assert get_messages(app, sender="web-2").json() == {"messages": []}
    assert get_messages(app, sender="web-1", after="1").json() == {"messages": []}


def test_messages_accepts_the_longest_sender(store: TicketStore) -> None:
    sender = "x" * MAX_SENDER
    store.push(sender, {"text": "Hello"})
    answer = get_messages(rest_app(Handler()), sender=sender)
    assert answer.status_code == 200
    assert [message["text"] for message in answer.json()["messages"]] == ["Hello"]


def test_messages_refuses_a_superscript_after_with_400(store: TicketStore) -> None:
    answer = get_messages(rest_app(Handler()), sender="web-1", after="²")
    assert answer.status_code == 400


def test_messages_refuses_an_after_beyond_64_bits_with_400(store: TicketStore) -> None:
    answer = get_messages(rest_app(Handler()), sender="web-1", after="9" * 20)
    assert answer.status_code == 400


class Processor:
    def __init__(self, tracker_store: InMemoryTrackerStore) -> None:
        self.tracker_store = tracker_store

    async def get_tracker(self, conversation_id: str) -> DialogueStateTracker:
        return await self.tracker_store.get_or_create_tracker(
            conversation_id, append_action_listen=False
        )

    async def save_tracker(self, tracker: DialogueStateTracker) -> None:
        await self.tracker_store.save(tracker)


def post_message(app: Sanic, body: dict[str, Any]) -> httpx.Response:
    async def call() -> httpx.Response:
        async with serving(app) as client:
            return await client.post("/webhooks/rest/webhook", json=body)

    return run(call())


def test_the_webhook_passes_messages_on_as_the_rest_channel(store: TicketStore) -> None:
    handler = Handler()
    app = rest_app(handler)
    body = {"sender": "web-1", "message": "hi", "input_channel": "console"}
    answer = post_message(app, body)
    assert answer.status_code == 200
    assert answer.json() == [{"recipient_id": "web-1", "text": "bot reply"}]
    [message] = handler.received
    assert (message.sender_id, message.text, message.input_channel) == ("web-1", "hi", "rest")
    assert store.pull("web-1") == []  # replies in turn go back in the response, not the outbox


def test_the_webhook_sends_messages_through_the_handoff_gate(store: TicketStore) -> None:
    domain = Domain.from_dict({"version": "3.1"})
    tracker_store = InMemoryTrackerStore(domain)
    events = [UserUttered("a person please", input_channel="rest"), ConversationPaused()]
    run(tracker_store.save(DialogueStateTracker.from_events("web-1", events)))
    ticket = store.create(
        conversation_id="web-1",
        channel="rest",
        reason_code="request_human",
        explanation="Asked for a person",
        priority=2,
        summary="Asked for a person",
        context={},
        transcript=[],
    )
    handler = Handler()
    app = rest_app(handler)
    app.ctx.agent = SimpleNamespace(
        domain=domain,
        tracker_store=tracker_store,
        lock_store=InMemoryLockStore(),
        processor=Processor(tracker_store),
    )

    answer = post_message(app, {"sender": "web-1", "message": "/nevermind"})
    assert answer.status_code == 200
    assert [message.text for message in handler.received] == ["/nevermind"]
    assert store.get(ticket["id"])["status"] == "returned_to_bot"
    assert not run(tracker_store.retrieve("web-1")).is_paused()
