from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain, InvalidDomain
from rasa.shared.core.events import (
    ActionExecuted,
    Event,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.policies.frustration import FrustrationPolicy, awaiting_first_action, conversation_turns
from bot.settings import ROOT


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(ROOT / "domain.yml")


@pytest.fixture
def policy(tmp_path: Path) -> FrustrationPolicy:
    return FrustrationPolicy.create(
        {**FrustrationPolicy.get_default_config(), "phrases": ["third time", "ridiculous"]},
        LocalModelStorage(tmp_path),
        Resource("frustration"),
        ExecutionContext(GraphSchema({}), "test"),
    )


def said(text: str, intent: str, sentiment: str = "neutral", score: float = 0.0) -> UserUttered:
    parse_data: dict[str, Any] = {
        "intent": {"name": intent, "confidence": 0.95},
        "entities": [],
        "sentiment": {"label": sentiment, "score": score, "confidence": 0.9},
    }
    return UserUttered(text, parse_data["intent"], [], parse_data)


def tracker(domain: Domain, *events: Event) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(
        "test", [ActionExecuted("action_session_start"), SessionStarted(), *events], domain.slots
    )


def predicted(domain: Domain, probabilities: list[float]) -> str | None:
    if max(probabilities) == 0:
        return None
    return domain.action_names_or_texts[probabilities.index(max(probabilities))]


def slot_values(events: list[Event]) -> dict[str, Any]:
    return {event.key: event.value for event in events if isinstance(event, SlotSet)}


def test_default_config_is_complete_and_above_rule_policy() -> None:
    config = FrustrationPolicy.get_default_config()
    assert config["priority"] == 5
    assert config["acknowledge_action"] == "action_acknowledge_frustration"
    assert config["escalate_action"] == "action_escalate_frustration"
    assert config["acknowledge_threshold"] < config["escalate_threshold"]
    assert config["handled_intents"] == ["complain", "request_human"]


def test_a_calm_message_only_updates_the_slots(domain: Domain, policy: FrustrationPolicy) -> None:
    prediction = policy.predict_action_probabilities(
        tracker(domain, ActionExecuted("action_listen"), said("where is my order", "order_status")),
        domain,
    )
    assert predicted(domain, prediction.probabilities) is None
    slots = slot_values(prediction.events)
    assert slots["frustration_level"] == "calm" and slots["frustration"]["score"] == 0.0


def test_a_furious_message_escalates(domain: Domain, policy: FrustrationPolicy) -> None:
    angry = said("WHERE IS MY ORDER?!?! THIRD TIME", "order_status", "negative", -0.95)
    conversation = tracker(domain, ActionExecuted("action_listen"), angry)
    prediction = policy.predict_action_probabilities(conversation, domain)
    assert predicted(domain, prediction.probabilities) == "action_escalate_frustration"
    assert prediction.is_no_user_prediction
    slots = slot_values(prediction.events)
    assert slots["frustration_level"] == "high" and slots["was_frustrated"] is True
    codes = {reason["code"] for reason in slots["frustration"]["reasons"]}
    assert {"shouting", "frustration_phrase", "negative_sentiment"} <= codes


def test_rising_frustration_is_acknowledged_once(domain: Domain, policy: FrustrationPolicy) -> None:
    first = said("my parcel is late, not happy", "order_status", "negative", -0.6)
    second = said("any news? my parcel is late", "order_status", "negative", -0.5)
    conversation = tracker(
        domain,
        ActionExecuted("action_listen"),
        first,
        ActionExecuted("action_check_order_status"),
        ActionExecuted("action_listen"),
        second,
    )
    prediction = policy.predict_action_probabilities(conversation, domain)
    assert predicted(domain, prediction.probabilities) == "action_acknowledge_frustration"
    conversation.update_with_events(
        [*prediction.events, ActionExecuted("action_acknowledge_frustration")], domain
    )
    again = policy.predict_action_probabilities(conversation, domain)
    assert predicted(domain, again.probabilities) is None and again.events == []


def test_complaints_are_left_to_their_own_apology(
    domain: Domain, policy: FrustrationPolicy
) -> None:
    angry = said("THIS IS RIDICULOUS!!! THIRD TIME", "complain", "negative", -0.95)
    prediction = policy.predict_action_probabilities(
        tracker(domain, ActionExecuted("action_listen"), angry), domain
    )
    assert predicted(domain, prediction.probabilities) is None
    assert slot_values(prediction.events)["frustration_level"] == "high"


def test_it_only_scores_before_the_first_action_of_a_turn(domain: Domain) -> None:
    message = said("hi", "greet")
    assert awaiting_first_action(tracker(domain, ActionExecuted("action_listen"), message))
    assert not awaiting_first_action(
        tracker(domain, ActionExecuted("action_listen"), message, ActionExecuted("utter_greet"))
    )


def test_turns_restart_with_the_session_and_mark_fallbacks_and_reverts() -> None:
    events = [
        said("old", "greet"),
        SessionStarted(),
        said("blorp", "nlu_fallback"),
        ActionExecuted("action_default_fallback"),
        said("flange", "nlu_fallback"),
        UserUtteranceReverted(),
    ]
    turns = conversation_turns(events)
    assert [turn.text for turn in turns] == ["blorp", "flange"]
    assert turns[0].fell_back and not turns[0].reverted
    assert turns[0].actions == ("action_default_fallback",)
    assert turns[1].reverted


def test_a_domain_without_the_actions_and_slots_is_refused(policy: FrustrationPolicy) -> None:
    with pytest.raises(InvalidDomain, match="action_acknowledge_frustration"):
        policy.train([], Domain.from_dict({"intents": ["greet"]}))


def _turn(
    policy: FrustrationPolicy, domain: Domain, conversation: DialogueStateTracker, message: Event
) -> str | None:
    """Adds a user message, applies the policy's events, runs its action; returns that action."""
    conversation.update_with_events([ActionExecuted("action_listen"), message], domain)
    prediction = policy.predict_action_probabilities(conversation, domain)
    action = predicted(domain, prediction.probabilities)
    conversation.update_with_events(
        [*prediction.events, ActionExecuted(action or "utter_greet")], domain
    )
    return action


def test_a_complaint_does_not_use_up_the_escalation(
    domain: Domain, policy: FrustrationPolicy
) -> None:
    conversation = tracker(domain)
    furious = said("THIS IS RIDICULOUS!!! THIRD TIME", "complain", "negative", -0.95)
    assert _turn(policy, domain, conversation, furious) is None
    slot = conversation.get_slot("frustration")
    assert slot["acknowledged"] is True and slot["escalated"] is False
    angry = said("I WANT MY MONEY BACK!!", "refund_status", "negative", -0.95)
    assert _turn(policy, domain, conversation, angry) == "action_escalate_frustration"
    still = said("USELESS!! WHERE IS MY REFUND", "refund_status", "negative", -0.95)
    assert _turn(policy, domain, conversation, still) is None  # escalated once per bout


def test_a_calm_turn_ends_the_bout(domain: Domain, policy: FrustrationPolicy) -> None:
    conversation = tracker(domain)
    angry = said("this is ridiculous, where is my parcel", "order_status", "negative", -0.9)
    assert _turn(policy, domain, conversation, angry) == "action_acknowledge_frustration"
    calm_turns = [
        ("what are your opening hours", "opening_hours"),
        ("which stores are near me", "store_location"),
        ("ok", "affirm"),
        ("do you ship abroad", "shipping_info"),
    ]
    for text, intent in calm_turns:
        _turn(policy, domain, conversation, said(text, intent))
    assert conversation.get_slot("frustration")["acknowledged"] is False
    annoyed = said("this is ridiculous, my refund is late", "refund_status", "negative", -0.6)
    assert _turn(policy, domain, conversation, annoyed) == "action_acknowledge_frustration"


def test_loaded_for_finetuning_it_trains_like_a_new_one(tmp_path: Path, domain: Domain) -> None:
    # `rasa train --finetune` builds each policy with load() from the old model, in which this
    # policy stored nothing, then calls train().
    config = {**FrustrationPolicy.get_default_config(), "phrases": ["third time"]}
    finetuning = ExecutionContext(GraphSchema({}), "test", is_finetuning=True)
    loaded = FrustrationPolicy.load(
        config, LocalModelStorage(tmp_path), Resource("frustration"), finetuning
    )

    assert isinstance(loaded, FrustrationPolicy)
    assert loaded.settings.phrases == ("third time",)
    assert loaded.train([], domain) == Resource("frustration")
    with pytest.raises(InvalidDomain, match="action_acknowledge_frustration"):
        loaded.train([], Domain.from_dict({"intents": ["greet"]}))
