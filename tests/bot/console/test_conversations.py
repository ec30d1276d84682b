"""bot/console/conversations.py: pausing, agents' messages and responses on a real tracker store.

A stand-in for the Rasa agent holds Rasa's own in-memory tracker and lock stores and
its templated NLG, so no trained model is needed. `run_actions` needs Rasa's message
processor and runs end to end in tests/e2e/test_handoff.py.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel
from rasa.shared.core.events import (
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.console.conversations import Conversations
from bot.handoff.context import AGENT_KEY
from tests.support.rasa import StandInAgent

ALICE = {"username": "alice", "name": "Alice Moreau"}
DOMAIN = {
    "version": "3.1",
    "responses": {
        "utter_agent_joined": [{"text": "{agent} joined the chat."}],
        "utter_csat": [
            {
                "text": "How did we do?",
                "buttons": [
                    {"title": "Great", "payload": '/csat{"score": 5}'},
                    {"title": "Poor", "payload": '/csat{"score": 1}'},
                ],
            }
        ],
    },
}


class Channel(InputChannel):
    """An input channel named `channel_name` whose output channel collects what is sent."""

    def __init__(self, channel_name: str, has_output: bool = True) -> None:
        self.channel_name = channel_name
        self.output = CollectingOutputChannel() if has_output else None

    def name(self) -> str:  # type: ignore[override]
        return self.channel_name

    def get_output_channel(self) -> CollectingOutputChannel | None:
        return self.output


@pytest.fixture
def agent() -> StandInAgent:
    return StandInAgent(DOMAIN)


@pytest.fixture
def rest() -> Channel:
    return Channel("rest")


@pytest.fixture
def conversations(agent: StandInAgent, rest: Channel) -> Conversations:
    app = SimpleNamespace(ctx=SimpleNamespace(agent=agent, input_channels=[Channel("chat"), rest]))
    return Conversations(app)  # type: ignore[arg-type]


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def customer_wrote(
    agent: StandInAgent, conversation_id: str = "rest-web-1", channel: str = "rest"
) -> DialogueStateTracker:
    """Stores a conversation whose latest message came in on `channel`."""
    tracker = DialogueStateTracker.from_events(
        conversation_id, [UserUttered("where is my order", input_channel=channel)]
    )
    run(agent.tracker_store.save(tracker))
    return tracker


def stored(agent: StandInAgent, conversation_id: str = "rest-web-1") -> DialogueStateTracker:
    tracker = run(agent.tracker_store.retrieve(conversation_id))
    assert tracker is not None
    return tracker


def bot_utterances(tracker: DialogueStateTracker) -> list[BotUttered]:
    return [event for event in tracker.events if isinstance(event, BotUttered)]


def count(tracker: DialogueStateTracker, kind: type) -> int:
    return sum(isinstance(event, kind) for event in tracker.events)


# output_channel


def test_output_channel_is_the_one_of_the_channel_that_owns_the_conversation(
    conversations: Conversations, agent: StandInAgent, rest: Channel
) -> None:
    tracker = customer_wrote(agent, channel="rest")
    assert conversations.output_channel(tracker) is rest.output


@pytest.mark.parametrize("latest", ["rest", "widget", "facebook", None])
def test_a_telegram_conversation_is_answered_on_telegram_whatever_wrote_last(
    agent: StandInAgent, latest: str | None
) -> None:
    telegram, rest = Channel("relay_telegram"), Channel("rest")
    app = SimpleNamespace(ctx=SimpleNamespace(agent=agent, input_channels=[rest, telegram]))
    tracker = customer_wrote(agent, "telegram-1001", channel=latest or "")
    assert Conversations(app).output_channel(tracker) is telegram.output  # type: ignore[arg-type]


@pytest.mark.parametrize("latest", ["rest", "widget"])
def test_a_signed_in_customer_is_answered_where_they_wrote(
    agent: StandInAgent, latest: str
) -> None:
    widget, rest = Channel("widget"), Channel("rest")
    app = SimpleNamespace(ctx=SimpleNamespace(agent=agent, input_channels=[rest, widget]))
    tracker = customer_wrote(agent, "site-web-maya", channel=latest)
    chosen = Conversations(app).output_channel(tracker)  # type: ignore[arg-type]
    assert chosen is {"rest": rest, "widget": widget}[latest].output


@pytest.mark.parametrize("conversation", ["1001", "web-1", "facebook-1"])
def test_output_channel_falls_back_to_collecting_outside_the_namespaces(
    conversations: Conversations, agent: StandInAgent, conversation: str
) -> None:
    tracker = customer_wrote(agent, conversation, channel="rest")
    assert type(conversations.output_channel(tracker)) is CollectingOutputChannel


def test_output_channel_falls_back_when_the_channel_cannot_send_out_of_turn(
    agent: StandInAgent,
) -> None:
    app = SimpleNamespace(ctx=SimpleNamespace(agent=agent, input_channels=[Channel("rest", False)]))
    tracker = customer_wrote(agent, channel="rest")
    output = Conversations(app).output_channel(tracker)  # type: ignore[arg-type]
    assert type(output) is CollectingOutputChannel


def test_output_channel_falls_back_when_the_app_has_no_input_channels(
    agent: StandInAgent,
) -> None:
    tracker = customer_wrote(agent)
    for ctx in (SimpleNamespace(agent=agent), SimpleNamespace(agent=agent, input_channels=None)):
        output = Conversations(SimpleNamespace(ctx=ctx)).output_channel(tracker)  # type: ignore[arg-type]
        assert type(output) is CollectingOutputChannel


def test_output_channel_falls_back_when_the_customer_never_wrote(
    conversations: Conversations,
) -> None:
    tracker = DialogueStateTracker.from_events("rest-web-1", [])
    assert type(conversations.output_channel(tracker)) is CollectingOutputChannel


# say_as_agent


def test_an_agents_message_reaches_the_customer_on_their_channel(
    conversations: Conversations, agent: StandInAgent, rest: Channel
) -> None:
    customer_wrote(agent)
    run(conversations.say_as_agent("rest-web-1", "Hi, I'm looking into it.", ALICE))
    assert rest.output is not None
    assert rest.output.messages == [
        {"recipient_id": "rest-web-1", "text": "Hi, I'm looking into it."}
    ]


def test_an_agents_message_is_recorded_as_a_bot_utterance_naming_the_agent(
    conversations: Conversations, agent: StandInAgent
) -> None:
    customer_wrote(agent)
    run(conversations.say_as_agent("rest-web-1", "Hi, I'm looking into it.", ALICE))
    [uttered] = bot_utterances(stored(agent))
    assert uttered.text == "Hi, I'm looking into it."
    assert uttered.metadata == {AGENT_KEY: ALICE}
    assert AGENT_KEY == "relay_agent"


def test_an_agents_message_is_recorded_even_without_a_channel_to_send_it_on(
    conversations: Conversations, agent: StandInAgent, rest: Channel
) -> None:
    customer_wrote(agent, "facebook-1", channel="facebook")
    run(conversations.say_as_agent("facebook-1", "Hello?", ALICE))
    assert rest.output is not None and rest.output.messages == []
    assert [event.text for event in bot_utterances(stored(agent, "facebook-1"))] == ["Hello?"]


def test_agents_messages_keep_their_order(
    conversations: Conversations, agent: StandInAgent
) -> None:
    customer_wrote(agent)
    run(conversations.say_as_agent("rest-web-1", "One moment.", ALICE))
    run(conversations.say_as_agent("rest-web-1", "Found it.", ALICE))
    assert [event.text for event in bot_utterances(stored(agent))] == ["One moment.", "Found it."]


# utter


def test_utter_fills_a_domain_response_and_sends_it(
    conversations: Conversations, agent: StandInAgent, rest: Channel
) -> None:
    customer_wrote(agent)
    run(conversations.utter("rest-web-1", "utter_agent_joined", agent="Alice"))
    assert rest.output is not None
    assert rest.output.messages == [
        {"recipient_id": "rest-web-1", "text": "Alice joined the chat."}
    ]
    [uttered] = bot_utterances(stored(agent))
    assert uttered.text == "Alice joined the chat."
    assert uttered.metadata["utter_action"] == "utter_agent_joined"
    assert AGENT_KEY not in uttered.metadata


def test_utter_sends_a_responses_buttons_and_records_them(
    conversations: Conversations, agent: StandInAgent, rest: Channel
) -> None:
    customer_wrote(agent)
    run(conversations.utter("rest-web-1", "utter_csat"))
    buttons = DOMAIN["responses"]["utter_csat"][0]["buttons"]
    assert rest.output is not None
    assert rest.output.messages == [
        {"recipient_id": "rest-web-1", "text": "How did we do?", "buttons": buttons}
    ]
    [uttered] = bot_utterances(stored(agent))
    assert uttered.data["buttons"] == buttons


def test_utter_of_a_response_the_domain_lacks_sends_and_records_nothing(
    conversations: Conversations, agent: StandInAgent, rest: Channel
) -> None:
    before = len(customer_wrote(agent).events)
    run(conversations.utter("rest-web-1", "utter_missing"))
    assert rest.output is not None and rest.output.messages == []
    assert len(stored(agent).events) == before


# set_paused / is_paused


def test_set_paused_pauses_and_resumes_the_conversation(
    conversations: Conversations, agent: StandInAgent
) -> None:
    customer_wrote(agent)
    run(conversations.set_paused("rest-web-1", True))
    assert stored(agent).is_paused()
    assert run(conversations.is_paused("rest-web-1")) is True
    run(conversations.set_paused("rest-web-1", False))
    assert not stored(agent).is_paused()
    assert run(conversations.is_paused("rest-web-1")) is False


def test_set_paused_twice_adds_a_single_event(
    conversations: Conversations, agent: StandInAgent
) -> None:
    customer_wrote(agent)
    run(conversations.set_paused("rest-web-1", True))
    run(conversations.set_paused("rest-web-1", True))
    assert count(stored(agent), ConversationPaused) == 1
    run(conversations.set_paused("rest-web-1", False))
    run(conversations.set_paused("rest-web-1", False))
    assert count(stored(agent), ConversationResumed) == 1


def test_resuming_a_conversation_that_is_not_paused_adds_nothing(
    conversations: Conversations, agent: StandInAgent
) -> None:
    before = len(customer_wrote(agent).events)
    run(conversations.set_paused("rest-web-1", False))
    assert len(stored(agent).events) == before


def test_an_unknown_conversation_is_not_paused(conversations: Conversations) -> None:
    assert run(conversations.is_paused("nobody")) is False


def test_pausing_only_affects_its_own_conversation(
    conversations: Conversations, agent: StandInAgent
) -> None:
    customer_wrote(agent, "rest-web-1")
    customer_wrote(agent, "web-2")
    run(conversations.set_paused("rest-web-1", True))
    assert run(conversations.is_paused("rest-web-1")) is True
    assert run(conversations.is_paused("web-2")) is False


# events


def test_events_are_returned_as_dicts(conversations: Conversations, agent: StandInAgent) -> None:
    customer_wrote(agent)
    run(conversations.say_as_agent("rest-web-1", "Hello", ALICE))
    events = run(conversations.events("rest-web-1"))
    assert all(isinstance(event, dict) for event in events)
    assert [event["event"] for event in events] == ["user", "bot"]
    assert events[0]["text"] == "where is my order"
    assert events[0]["input_channel"] == "rest"
    assert events[1]["metadata"] == {AGENT_KEY: ALICE}


def test_events_of_an_unknown_conversation_are_empty_and_create_nothing(
    conversations: Conversations, agent: StandInAgent
) -> None:
    assert run(conversations.events("nobody")) == []
    assert run(agent.tracker_store.retrieve("nobody")) is None


def test_an_agents_message_that_did_not_arrive_is_kept_and_reported(agent: StandInAgent) -> None:
    from bot.console.conversations import NotDelivered

    telegram = Channel("relay_telegram")
    assert telegram.output is not None
    telegram.output.undelivered = ["Telegram could not be reached"]  # type: ignore[attr-defined]
    app = SimpleNamespace(ctx=SimpleNamespace(agent=agent, input_channels=[telegram]))
    customer_wrote(agent, "telegram-1001", channel="relay_telegram")
    with pytest.raises(NotDelivered, match="Telegram could not be reached"):
        run(Conversations(app).say_as_agent("telegram-1001", "Hello?", ALICE))  # type: ignore[arg-type]
    assert [event.text for event in bot_utterances(stored(agent, "telegram-1001"))] == ["Hello?"]
