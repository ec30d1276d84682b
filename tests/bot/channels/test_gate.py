"""bot/channels/gate.py: "never mind" while waiting for a person, and never losing a message.

The gate runs against Rasa's in-memory tracker and lock stores (behind a stand-in for
the Rasa agent with a scripted NLU) and a real ticket store on a temporary SQLite file.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.shared.core.events import (
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.channels.gate import MIN_CONFIDENCE, NEVERMIND, Gate
from bot.handoff.tickets import TicketStore
from bot.handoff.webhook import Webhook
from bot.services import Services
from tests.support.rasa import Recorder, StandInAgent
from tests.support.slow import BLOCK, STALL, Slow, alongside
from tests.support.tickets import open_ticket as opened

CONVERSATION = "web-1"


@pytest.fixture
def webhooks(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    sent: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(Webhook, "send", lambda self, event, ticket: sent.append((event, ticket)))
    return sent


@pytest.fixture
def agent() -> StandInAgent:
    agent = StandInAgent({"version": "3.1", "intents": [NEVERMIND, "greet"]})
    agent.intent = NEVERMIND
    return agent


@pytest.fixture
def rasa() -> Recorder:
    return Recorder(reply=None, returns="handled")


@pytest.fixture
def gate(agent: StandInAgent, rasa: Recorder, services: Services) -> Gate:
    gate = Gate(rasa)
    context = SimpleNamespace(agent=agent, input_channels=[], services=services)
    gate.app = SimpleNamespace(ctx=context)  # type: ignore[assignment]
    return gate


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def conversation(agent: StandInAgent, *, paused: bool, offered: tuple[str, ...] = ()) -> None:
    events: list[Any] = [UserUttered("I want a person", input_channel="rest")]
    if offered:
        buttons = [{"title": payload, "payload": payload} for payload in offered]
        events.append(BotUttered("Anything else?", data={"buttons": buttons}))
    if paused:
        events.append(ConversationPaused())
    run(agent.tracker_store.save(DialogueStateTracker.from_events(CONVERSATION, events)))


def is_paused(agent: StandInAgent) -> bool:
    tracker = run(agent.tracker_store.retrieve(CONVERSATION))
    return tracker.is_paused()


def open_ticket(store: TicketStore) -> dict[str, Any]:
    return opened(
        store, CONVERSATION, transcript=[{"speaker": "customer", "text": "I want a person"}]
    )


def says(text: str | None, sender: str | None = CONVERSATION) -> UserMessage:
    return UserMessage(text, CollectingOutputChannel(), sender, input_channel="rest")


def test_a_message_of_a_conversation_that_is_not_paused_passes_unchanged(
    gate: Gate, agent: StandInAgent, rasa: Recorder, store: TicketStore
) -> None:
    ticket = open_ticket(store)
    conversation(agent, paused=False)
    message = says("never mind")
    assert run(gate.deliver(message)) == "handled"
    assert rasa.received == [message]
    assert store.get(ticket["id"])["status"] == "waiting"
    assert agent.parsed == []  # no extra NLU call outside handoff


def test_never_mind_while_waiting_returns_the_ticket_to_the_bot_and_resumes_it(
    gate: Gate,
    agent: StandInAgent,
    rasa: Recorder,
    store: TicketStore,
    webhooks: list[tuple[str, dict[str, Any]]],
) -> None:
    ticket = open_ticket(store)
    conversation(agent, paused=True)
    message = says("never mind")
    assert run(gate.deliver(message)) == "handled"
    assert store.get(ticket["id"])["status"] == "returned_to_bot"
    assert store.open_for(CONVERSATION) is None
    assert not is_paused(agent)
    assert rasa.received == [message]  # answered by the bot's nevermind rule
    assert agent.parsed == ["never mind"]
    assert [(event, sent["id"], sent["status"]) for event, sent in webhooks] == [
        ("ticket.returned_to_bot", ticket["id"], "returned_to_bot")
    ]


def test_the_bot_is_resumed_before_the_message_is_passed_on(
    agent: StandInAgent, store: TicketStore
) -> None:
    open_ticket(store)
    conversation(agent, paused=True)
    paused_when_handled: list[bool] = []

    async def handle(message: UserMessage) -> None:
        tracker = await agent.tracker_store.retrieve(message.sender_id)
        paused_when_handled.append(tracker.is_paused())

    gate = Gate(handle)
    gate.app = SimpleNamespace(ctx=SimpleNamespace(agent=agent))  # type: ignore[assignment]
    run(gate.deliver(says("never mind")))
    assert paused_when_handled == [False]


def test_other_messages_while_waiting_change_nothing(
    gate: Gate,
    agent: StandInAgent,
    rasa: Recorder,
    store: TicketStore,
    webhooks: list[tuple[str, dict[str, Any]]],
) -> None:
    ticket = open_ticket(store)
    conversation(agent, paused=True)
    agent.intent = "greet"
    message = says("hello? anyone there?")
    run(gate.deliver(message))
    assert store.get(ticket["id"])["status"] == "waiting"
    assert is_paused(agent)
    assert rasa.received == [message]
    assert webhooks == []


def test_never_mind_after_an_agent_claimed_the_ticket_changes_nothing(
    gate: Gate, agent: StandInAgent, rasa: Recorder, store: TicketStore
) -> None:
    ticket = open_ticket(store)
    store.claim(ticket["id"], "alice")
    conversation(agent, paused=True)
    message = says("never mind")
    run(gate.deliver(message))
    claimed = store.get(ticket["id"])
    assert (claimed["status"], claimed["assignee"]) == ("assigned", "alice")
    assert is_paused(agent)
    assert rasa.received == [message]


def test_a_paused_conversation_without_an_open_ticket_is_resumed(
    gate: Gate, agent: StandInAgent, rasa: Recorder, store: TicketStore
) -> None:
    conversation(agent, paused=True)
    agent.intent = "greet"
    message = says("hello?")
    run(gate.deliver(message))
    assert not is_paused(agent)
    assert rasa.received == [message]


def test_a_paused_conversation_whose_ticket_was_resolved_is_resumed(
    gate: Gate, agent: StandInAgent, store: TicketStore
) -> None:
    ticket = open_ticket(store)
    store.claim(ticket["id"], "alice")
    store.close(ticket["id"], "alice", "resolved")
    conversation(agent, paused=True)
    run(gate.deliver(says("hello?")))
    assert not is_paused(agent)
    assert store.get(ticket["id"])["status"] == "resolved"


def test_the_nevermind_payload_withdraws_without_asking_the_nlu(
    gate: Gate, agent: StandInAgent, rasa: Recorder, store: TicketStore
) -> None:
    ticket = open_ticket(store)
    conversation(agent, paused=True, offered=(f"/{NEVERMIND}",))
    agent.failure = RuntimeError("the NLU must not be asked")
    run(gate.deliver(says(f"/{NEVERMIND}")))
    assert agent.parsed == []
    assert store.get(ticket["id"])["status"] == "returned_to_bot"
    assert not is_paused(agent)
    assert len(rasa.received) == 1


@pytest.mark.parametrize("typed", ["/restart", "/session_start", '/nevermind{"x": 1}', "/greet"])
def test_a_typed_payload_cannot_wake_a_paused_conversation(
    gate: Gate, agent: StandInAgent, rasa: Recorder, store: TicketStore, typed: str
) -> None:
    ticket = open_ticket(store)
    store.claim(ticket["id"], "alice")  # a person has the conversation
    conversation(agent, paused=True)
    run(gate.deliver(says(typed)))
    assert is_paused(agent)
    assert store.get(ticket["id"])["status"] == "assigned"
    [passed] = rasa.received
    assert passed.text == typed if typed == "/greet" else not passed.text.startswith("/")


def test_a_forged_nevermind_payload_is_read_by_the_nlu(
    gate: Gate, agent: StandInAgent, rasa: Recorder, store: TicketStore
) -> None:
    ticket = open_ticket(store)
    conversation(agent, paused=True)
    agent.intent = "greet"
    run(gate.deliver(says(f"/{NEVERMIND}")))
    assert agent.parsed == [NEVERMIND]
    assert store.get(ticket["id"])["status"] == "waiting"
    assert [message.text for message in rasa.received] == [NEVERMIND]


def test_a_low_confidence_nevermind_does_not_withdraw(
    gate: Gate, agent: StandInAgent, store: TicketStore
) -> None:
    ticket = open_ticket(store)
    conversation(agent, paused=True)
    agent.confidence = 0.3
    run(gate.deliver(says("nevermind the colour")))
    assert store.get(ticket["id"])["status"] == "waiting"
    assert is_paused(agent)


def test_a_nevermind_at_exactly_the_minimum_confidence_withdraws(
    gate: Gate, agent: StandInAgent, store: TicketStore
) -> None:
    ticket = open_ticket(store)
    conversation(agent, paused=True)
    agent.confidence = MIN_CONFIDENCE
    run(gate.deliver(says("never mind")))
    assert store.get(ticket["id"])["status"] == "returned_to_bot"


def test_without_an_app_the_gate_only_passes_messages_on(
    agent: StandInAgent, rasa: Recorder, store: TicketStore
) -> None:
    ticket = open_ticket(store)
    conversation(agent, paused=True)
    gate = Gate(rasa)
    message = says("never mind")
    assert run(gate.deliver(message)) == "handled"
    assert rasa.received == [message]
    assert store.get(ticket["id"])["status"] == "waiting"
    assert is_paused(agent)


@pytest.mark.parametrize(
    "message",
    [says(None), says(""), says("never mind", sender="")],
    ids=["no text", "empty text", "no sender"],
)
def test_messages_without_text_or_sender_pass_without_checks(
    gate: Gate, agent: StandInAgent, rasa: Recorder, store: TicketStore, message: UserMessage
) -> None:
    conversation(agent, paused=True)
    run(gate.deliver(message))
    assert rasa.received == [message]
    assert agent.parsed == []
    assert is_paused(agent)


def test_a_failing_nlu_never_loses_the_customers_message(
    gate: Gate, agent: StandInAgent, rasa: Recorder, store: TicketStore
) -> None:
    ticket = open_ticket(store)
    conversation(agent, paused=True)
    agent.failure = RuntimeError("NLU unavailable")
    message = says("never mind")
    assert run(gate.deliver(message)) == "handled"
    assert rasa.received == [message]
    assert store.get(ticket["id"])["status"] == "waiting"
    assert is_paused(agent)


def test_a_failing_ticket_store_never_loses_the_customers_message(
    gate: Gate,
    agent: StandInAgent,
    rasa: Recorder,
    store: TicketStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    conversation(agent, paused=True)

    def broken(conversation_id: str) -> None:
        raise OSError("database is locked")

    monkeypatch.setattr(store, "open_for", broken)
    message = says("never mind")
    assert run(gate.deliver(message)) == "handled"
    assert rasa.received == [message]


def test_resuming_adds_a_single_resume_event(
    gate: Gate, agent: StandInAgent, store: TicketStore
) -> None:
    open_ticket(store)
    conversation(agent, paused=True)
    run(gate.deliver(says("never mind")))
    run(gate.deliver(says("never mind")))
    tracker = run(agent.tracker_store.retrieve(CONVERSATION))
    assert sum(isinstance(event, ConversationResumed) for event in tracker.events) == 1


def test_a_slow_database_never_holds_up_the_loop_while_a_customer_withdraws(
    gate: Gate,
    agent: StandInAgent,
    services: Services,
    store: TicketStore,
    webhooks: list[tuple[str, dict[str, Any]]],
) -> None:
    """The gate reads and closes the ticket in worker threads: the loop (every other
    conversation) goes on while the database is slow."""
    ticket = open_ticket(store)
    conversation(agent, paused=True)
    slow = Slow(store, "open_for", "close")
    gate.app.ctx.services = services.replaced(tickets=slow)  # type: ignore[union-attr]

    answer, took, gap = run(alongside(gate.deliver(says("never mind"))))
    assert answer == "handled"
    assert store.get(ticket["id"])["status"] == "returned_to_bot"
    assert took >= 2 * BLOCK and gap < STALL
    assert [name for name, _ in slow.calls] == ["open_for", "close"]
    assert all(thread != "MainThread" for _, thread in slow.calls)
