"""bot/handoff/context.py: the transcript and summary an agent reads from tracker events."""

from __future__ import annotations

from typing import Any

import pytest

from bot.handoff.context import context, one_line, topic_names, transcript

T0 = 1795518000.0  # 2026-11-24 11:00 UTC, in seconds as Rasa stores event timestamps
TOPICS = {"order_status": "Track an order", "refund_status": "Check a refund"}


def user(
    text: str,
    intent: str,
    confidence: float = 0.9731,
    sentiment: dict[str, Any] | None = None,
    at: float = 0.0,
) -> dict[str, Any]:
    parse_data: dict[str, Any] = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": [{"name": intent, "confidence": confidence}],
        "entities": [],
    }
    if sentiment is not None:
        parse_data["sentiment"] = sentiment
    return {
        "event": "user",
        "timestamp": T0 + at,
        "metadata": {},
        "text": text,
        "parse_data": parse_data,
        "input_channel": "rest",
        "message_id": "0f3e",
    }


def bot(
    text: str | None,
    buttons: list[dict[str, str]] | None = None,
    agent: dict[str, str] | None = None,
    at: float = 0.0,
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"relay_agent": agent} if agent else {"utter_action": "utter_x"}
    return {
        "event": "bot",
        "timestamp": T0 + at,
        "metadata": metadata,
        "text": text,
        "data": {
            "elements": None,
            "quick_replies": None,
            "buttons": buttons,
            "attachment": None,
            "image": None,
            "custom": None,
        },
    }


def slot(name: str, value: Any, at: float = 0.0) -> dict[str, Any]:
    return {"event": "slot", "timestamp": T0 + at, "name": name, "value": value}


def action(name: str) -> dict[str, Any]:
    return {"event": "action", "timestamp": T0, "name": name, "policy": None, "confidence": 1.0}


def frustration(score: float, *codes: str) -> dict[str, Any]:
    return {
        "score": score,
        "level": "high" if score >= 0.7 else "elevated",
        "turn": 3,
        "reasons": [{"code": code, "detail": f"{code} detail", "weight": 0.3} for code in codes],
    }


# --- transcript() ---


def test_a_customer_turn_has_time_intent_confidence_and_sentiment():
    sentiment = {"label": "negative", "score": -0.83456, "confidence": 0.88}
    turns = transcript([user("Where is my parcel?!", "order_status", sentiment=sentiment)])
    assert turns == [
        {
            "time": "2026-11-24T11:00:00+00:00",
            "speaker": "customer",
            "text": "Where is my parcel?!",
            "intent": "order_status",
            "confidence": 0.973,
            "sentiment": {"label": "negative", "score": -0.835},
            "frustration": None,
            "agent": None,
        }
    ]


def test_a_customer_turn_without_parse_data_or_sentiment():
    event = {"event": "user", "timestamp": None, "text": None}
    assert transcript([event]) == [
        {
            "time": None,
            "speaker": "customer",
            "text": "",
            "intent": None,
            "confidence": None,
            "sentiment": None,
            "frustration": None,
            "agent": None,
        }
    ]
    malformed = user("hi", "greet", sentiment={"score": 0.2})
    assert transcript([malformed])[0]["sentiment"] is None


def test_bot_buttons_are_shown_after_the_text():
    buttons = [
        {"title": "Track an order", "payload": "/order_status"},
        {"title": "Talk to our team", "payload": "/request_human"},
    ]
    turns = transcript([bot("Which one did you mean?", buttons), bot(None, buttons[:1])])
    assert [turn["text"] for turn in turns] == [
        "Which one did you mean? [Track an order, Talk to our team]",
        "[Track an order]",
    ]
    assert {turn["speaker"] for turn in turns} == {"bot"}
    assert {turn["agent"] for turn in turns} == {None}


def test_a_message_from_an_agent_names_the_agent():
    agent = {"username": "alice", "name": "Alice Moreau"}
    [turn] = transcript([bot("Hi, Alice here. Let me check.", agent=agent)])
    assert (turn["speaker"], turn["agent"], turn["text"]) == (
        "agent",
        "Alice Moreau",
        "Hi, Alice here. Let me check.",
    )


def test_frustration_is_attached_to_the_last_customer_turn():
    events = [
        user("where is my order", "order_status"),
        slot("frustration", frustration(0.1234)),
        bot("Which order?"),
        user("I ALREADY TOLD YOU", "order_status", at=5),
        action("action_listen"),
        slot("frustration", frustration(0.8167, "shouting")),
        slot("frustration", "not a dict"),
    ]
    customer = [turn for turn in transcript(events) if turn["speaker"] == "customer"]
    assert [turn["frustration"] for turn in customer] == [0.123, 0.817]


def test_frustration_before_any_customer_turn_and_other_slots_are_ignored():
    events = [
        slot("frustration", frustration(0.9)),
        user("hi", "greet"),
        slot("order_id", "100245"),
        slot("frustration", {"level": "calm"}),
    ]
    [turn] = transcript(events)
    assert turn["frustration"] is None


def test_pause_and_resume_are_system_turns_in_order():
    events = [
        user("a person please", "request_human"),
        {"event": "pause", "timestamp": T0 + 1},
        bot("Hi, Alice here", agent={"username": "alice", "name": "Alice"}, at=2),
        {"event": "resume", "timestamp": T0 + 3},
        bot("You're back with me, Relay.", at=4),
        action("action_listen"),
    ]
    turns = transcript(events)
    assert [(turn["speaker"], turn["text"]) for turn in turns] == [
        ("customer", "a person please"),
        ("system", "bot paused"),
        ("agent", "Hi, Alice here"),
        ("system", "bot resumed"),
        ("bot", "You're back with me, Relay."),
    ]
    assert turns[1]["time"] == "2026-11-24T11:00:01+00:00"


# --- context() ---


def test_context_collects_wants_details_tried_and_frustration():
    events = [
        user("hi", "greet"),
        bot("Hello! How can I help?"),
        user("where is my order", "order_status"),
        slot("order_id", "100245"),
        slot("email", "maya.patel@example.com"),
        slot("product", ""),
        slot("city", None),
        bot("Order 100245 is on its way and should arrive on Thursday."),
        bot("Anything else?"),
        user("and my refund?", "refund_status"),
        slot("frustration", frustration(0.75, "repeated_request", "negative_sentiment")),
        bot("Your refund was issued on Monday."),
        user("ok thanks", "thank_you"),
        bot("You're welcome!"),
    ]
    ctx = context(events, TOPICS)
    assert ctx == {
        "wants": "Check a refund",
        "intents": ["order_status", "refund_status"],
        "details": {"order_id": "100245", "email": "maya.patel@example.com"},
        "tried": [
            "Track an order: Order 100245 is on its way and should arrive on Thursday.",
            "Check a refund: Your refund was issued on Monday.",
        ],
        "frustration": {
            "score": 0.75,
            "level": "high",
            "reasons": [
                {"code": "repeated_request", "detail": "repeated_request detail"},
                {"code": "negative_sentiment", "detail": "negative_sentiment detail"},
            ],
        },
    }


def test_small_talk_says_nothing_about_what_the_customer_wants():
    events = [
        user("hello", "greet"),
        bot("Hi!"),
        user("a person please", "request_human"),
        bot("Sure."),
        user("asdf", "nlu_fallback"),
        bot("Sorry?"),
    ]
    ctx = context(events, TOPICS)
    assert (ctx["wants"], ctx["intents"], ctx["tried"], ctx["details"]) == ("", [], [], {})
    assert ctx["frustration"] is None


def test_a_repeated_request_moves_to_the_end_and_unknown_topics_keep_their_name():
    events = [
        user("where is my order", "order_status"),
        user("my points?", "loyalty_points"),
        bot("You have 1,240 points."),
        user("where is my order!!", "order_status"),
    ]
    ctx = context(events, TOPICS)
    assert ctx["intents"] == ["loyalty_points", "order_status"]
    assert ctx["wants"] == "Track an order"
    assert ctx["tried"] == ["loyalty_points: You have 1,240 points."]


def test_only_the_last_five_intents_and_tries_are_kept():
    events = []
    for number in range(7):
        events += [user(f"q{number}", f"topic_{number}"), bot(f"answer {number}")]
    ctx = context(events, {})
    assert ctx["intents"] == [f"topic_{number}" for number in range(2, 7)]
    assert ctx["tried"] == [f"topic_{number}: answer {number}" for number in range(2, 7)]


def test_long_answers_are_cut_in_what_was_tried():
    ctx = context([user("where", "order_status"), bot("x" * 500)], TOPICS)
    assert ctx["tried"] == ["Track an order: " + "x" * 120]


def test_agent_messages_are_not_something_the_bot_tried():
    events = [
        user("where is my order", "order_status"),
        bot("Let me look", agent={"username": "alice", "name": "Alice"}),
    ]
    assert context(events, TOPICS)["tried"] == []


def test_a_new_session_forgets_the_slots_of_the_last_one():
    events = [
        user("where is my order", "order_status"),
        slot("order_id", "100245"),
        slot("frustration", frustration(0.9, "shouting")),
        {"event": "session_started", "timestamp": T0 + 60},
        action("action_listen"),
        user("do you have boots?", "product_availability"),
        slot("product", "Trail Boots"),
    ]
    ctx = context(events, TOPICS)
    assert ctx["details"] == {"product": "Trail Boots"}
    assert ctx["frustration"] is None


def test_a_restart_forgets_the_slots_too():
    events = [slot("order_id", "100245"), {"event": "restart", "timestamp": T0}]
    assert context(events, TOPICS)["details"] == {}


def test_details_keep_the_order_agents_read_them_in():
    events = [slot("city", "Leeds"), slot("order_id", "1"), slot("customer_name", "Maya")]
    assert list(context(events, {})["details"]) == ["customer_name", "order_id", "city"]


# --- one_line() and topic_names() ---


def test_one_line_names_the_topic_the_order_and_the_reason():
    ctx = {"wants": "Track an order", "details": {"order_id": "100245"}}
    assert (
        one_line(ctx, "Asked for a person") == "Track an order · order 100245 · Asked for a person"
    )


def test_one_line_without_a_topic_is_the_reason():
    assert one_line({"wants": "", "details": {}}, "Customer is frustrated") == (
        "Customer is frustrated"
    )
    assert one_line({}, "Asked for a person") == "Asked for a person"
    assert one_line({"wants": "Check a refund"}, "Asked for a person") == (
        "Check a refund · Asked for a person"
    )
    assert one_line({"details": {"order_id": "9"}}, "Why") == "Why · order 9"


def test_topic_names_come_from_utter_topic_responses():
    responses = {
        "utter_topic_order_status": [{"text": "Track an order"}, {"text": "Orders"}],
        "utter_topic_empty": [],
        "utter_greet": [{"text": "Hello!"}],
    }
    assert topic_names(responses) == {"order_status": "Track an order"}
    assert topic_names({}) == {}
    assert topic_names(None) == {}


def test_topic_names_of_the_real_domain(domain):
    names = topic_names(domain["responses"])
    assert names["order_status"] == "Track an order"
    assert names["request_human"] == "Talk to our team"


REDACTABLE = [
    user("I'm maya.patel@example.com, call 07700 900123 about order 100231", "order_status"),
    bot("Order 100231 ships on 2026-11-25. Your card 4111 1111 1111 1111 was charged £12.99."),
]


def test_redaction_replaces_emails_phones_and_cards_in_every_text():
    turns = transcript(REDACTABLE, redaction=True)
    assert [turn["text"] for turn in turns] == [
        "I'm [email], call [phone] about order 100231",
        "Order 100231 ships on 2026-11-25. Your card [card] was charged £12.99.",
    ]
    assert turns[0]["intent"] == "order_status"


def test_without_redaction_texts_are_as_written():
    turns = transcript(REDACTABLE, redaction=False)
    assert [turn["text"] for turn in turns] == [event["text"] for event in REDACTABLE]


@pytest.mark.parametrize("flag, redacted", [("1", True), ("0", False), (None, False)])
def test_redaction_follows_the_settings_unless_told(monkeypatch, flag, redacted):
    if flag is None:
        monkeypatch.delenv("RELAY_REDACT", raising=False)
    else:
        monkeypatch.setenv("RELAY_REDACT", flag)
    text = transcript(REDACTABLE)[0]["text"]
    assert ("[email]" in text) is redacted
    assert "[email]" not in transcript(REDACTABLE, redaction=False)[0]["text"]


def test_what_the_bot_tried_is_redacted_with_the_transcript():
    events = [user("track it", "order_status"), bot("I'll text 07700 900123 when it ships")]
    assert context(events, TOPICS, redaction=True)["tried"] == [
        "Track an order: I'll text [phone] when it ships"
    ]
    assert context(events, TOPICS, redaction=False)["tried"] == [
        "Track an order: I'll text 07700 900123 when it ships"
    ]
