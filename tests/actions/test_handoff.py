"""actions/handoff.py: opening a ticket for a person, telling the customer, and coming back."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa_sdk.events import ConversationPaused, ConversationResumed, FollowupAction, SlotSet
from sqlalchemy.exc import OperationalError

from actions import shop
from actions.frustration import ActionEscalateFrustration
from actions.handoff import (
    ActionDefaultFallback,
    ActionHandoff,
    ActionNevermind,
    ValidateHandoffContactForm,
    withdrawn,
)
from bot.handoff.context import transcript

AFTER_HOURS = "2026-11-24T21:00:00"  # Tuesday evening: support closed at 8pm
CLEARED = [SlotSet("handoff_reason", None), SlotSet("handoff_explanation", None)]
BILLING = "Billing problem (for example charged twice): a person must check the payment"


@pytest.fixture(autouse=True)
def no_webhook_and_default_rules(monkeypatch):
    for name in ("RELAY_WEBHOOK_URL", "RELAY_WEBHOOK_SECRET", "RELAY_HANDOFF_FILE"):
        monkeypatch.delenv(name, raising=False)


def run(action, dispatcher, tracker, domain):
    return asyncio.run(action.run(dispatcher, tracker, domain))


def user(text: str, intent: str, channel: str | None = "telegram") -> dict[str, Any]:
    return {
        "event": "user",
        "timestamp": 1795518000.0,
        "text": text,
        "parse_data": {"intent": {"name": intent, "confidence": 0.97}, "entities": []},
        "input_channel": channel,
    }


def bot(text: str) -> dict[str, Any]:
    return {"event": "bot", "timestamp": 1795518001.0, "text": text, "data": {}, "metadata": {}}


def slot(name: str, value: Any) -> dict[str, Any]:
    return {"event": "slot", "timestamp": 1795518001.0, "name": name, "value": value}


ASKED_FOR_A_PERSON = [
    user("where is my order 100245", "order_status"),
    slot("order_id", "100245"),
    bot("Order 100245 is on its way."),
    user("I want to talk to a person", "request_human"),
]


def ticket_of(sender: str = "test-user") -> dict[str, Any]:
    summary = shop.services().tickets.open_for(sender) or shop.services().tickets.latest_for(sender)
    assert summary is not None, f"no ticket for {sender}"
    return shop.services().tickets.get(summary["id"])


def message(dispatcher, response: str) -> dict[str, Any]:
    [found] = [m for m in dispatcher.messages if m["response"] == response]
    return found


def maya_id() -> int:
    return shop.services().repository.customer_by_email("maya.patel@example.com").id


# --- Asking for a person while the team is on duty ---


def test_request_human_opens_a_waiting_ticket_and_pauses_the_bot(
    shop_db, tracker, dispatcher, domain, chosen
):
    events = run(
        ActionHandoff(),
        dispatcher,
        tracker(intent="request_human", events=ASKED_FOR_A_PERSON),
        domain,
    )
    assert events == [*CLEARED, ConversationPaused()]
    ticket = ticket_of()
    assert ticket["conversation_id"] == "test-user"
    assert ticket["channel"] == "telegram"
    assert ticket["status"] == "waiting"
    assert (ticket["reason_code"], ticket["explanation"]) == ("request_human", "Asked for a person")
    assert (ticket["priority"], ticket["priority_label"]) == (2, "high")
    assert ticket["follow_up"] is None
    assert ticket["customer"] == {"id": None, "name": None, "email": None}
    assert ticket["transcript"] == transcript(ASKED_FOR_A_PERSON)
    assert [turn["text"] for turn in ticket["transcript"]] == [
        "where is my order 100245",
        "Order 100245 is on its way.",
        "I want to talk to a person",
    ]
    assert ticket["context"]["details"] == {"order_id": "100245"}
    assert ticket["context"]["tried"] == ["Track an order: Order 100245 is on its way."]
    assert ticket["summary"] == "Track an order · order 100245 · Asked for a person"
    assert chosen(dispatcher) == ["utter_handoff_queued_no_agents"]
    assert message(dispatcher, "utter_handoff_queued_no_agents")["position"] == 1


def test_without_an_input_channel_the_ticket_is_a_rest_one(shop_db, tracker, dispatcher, domain):
    events = [user("a person please", "request_human", channel=None)]
    run(ActionHandoff(), dispatcher, tracker(intent="request_human", events=events), domain)
    assert ticket_of()["channel"] == "rest"


def test_with_an_agent_online_the_customer_hears_the_place_and_the_wait(
    shop_db, tracker, dispatcher, domain, chosen
):
    shop.services().tickets.touch_agent("alice")
    run(
        ActionHandoff(),
        dispatcher,
        tracker(intent="request_human", events=ASKED_FOR_A_PERSON),
        domain,
    )
    assert chosen(dispatcher) == ["utter_handoff_queued"]
    queued = message(dispatcher, "utter_handoff_queued")
    # One ticket, one agent, the default handling time of shop/handoff.yml (6 minutes).
    assert (queued["position"], queued["minutes"]) == (1, 6)


def test_the_wait_grows_with_the_queue_and_shrinks_with_the_agents(
    shop_db, tracker, dispatcher, domain
):
    shop.services().tickets.touch_agent("alice")
    first = tracker(intent="request_human", sender_id="web-first", events=ASKED_FOR_A_PERSON)
    run(ActionHandoff(), dispatcher, first, domain)
    second = tracker(intent="request_human", sender_id="web-second", events=ASKED_FOR_A_PERSON)
    run(ActionHandoff(), dispatcher, second, domain)
    shop.services().tickets.touch_agent("bob")
    third = tracker(intent="request_human", sender_id="web-third", events=ASKED_FOR_A_PERSON)
    run(ActionHandoff(), dispatcher, third, domain)
    waits = [(m["position"], m["minutes"]) for m in dispatcher.messages]
    assert waits == [(1, 6), (2, 12), (3, 9)]


def test_a_second_request_while_waiting_opens_no_other_ticket(
    shop_db, tracker, dispatcher, domain, chosen
):
    build = tracker(intent="request_human", events=ASKED_FOR_A_PERSON)
    run(ActionHandoff(), dispatcher, build, domain)
    first = ticket_of()
    again = run(ActionHandoff(), dispatcher, build, domain)
    assert again == [*CLEARED, ConversationPaused()]
    assert [ticket["id"] for ticket in shop.services().tickets.queue("all")] == [first["id"]]
    assert chosen(dispatcher) == ["utter_handoff_queued_no_agents"] * 2


def test_a_billing_problem_always_goes_to_a_person(shop_db, tracker, dispatcher, domain):
    events = [user("I was charged twice!", "billing_problem")]
    run(ActionHandoff(), dispatcher, tracker(intent="billing_problem", events=events), domain)
    ticket = ticket_of()
    assert (ticket["reason_code"], ticket["explanation"]) == ("always_human", BILLING)
    assert (ticket["priority"], ticket["priority_label"]) == (1, "urgent")


def test_a_known_customer_s_name_and_email_are_on_the_ticket(shop_db, tracker, dispatcher, domain):
    slots = {"customer_id": float(maya_id()), "customer_name": "Maya", "email": "old@example.com"}
    run(ActionHandoff(), dispatcher, tracker(slots=slots, intent="request_human"), domain)
    assert ticket_of()["customer"] == {
        "id": maya_id(),
        "name": "Maya",
        "email": "maya.patel@example.com",
    }


def test_an_anonymous_customer_s_email_slot_is_kept(shop_db, tracker, dispatcher, domain):
    slots = {"email": "visitor@example.com"}
    run(ActionHandoff(), dispatcher, tracker(slots=slots, intent="request_human"), domain)
    assert ticket_of()["customer"] == {"id": None, "name": None, "email": "visitor@example.com"}


def test_when_the_ticket_cannot_be_stored_the_customer_learns_how_to_reach_staff(
    shop_db, tracker, dispatcher, domain, chosen, monkeypatch
):
    def locked(conversation_id):
        raise OperationalError("SELECT", {}, Exception("database is locked"))

    monkeypatch.setattr(shop.services().tickets, "open_for", locked)
    events = run(ActionHandoff(), dispatcher, tracker(intent="request_human"), domain)
    assert events == CLEARED
    assert chosen(dispatcher) == ["utter_handoff_failed", "utter_contact_staff_open"]


# --- Outside support hours ---


def test_after_hours_without_an_email_asks_for_one_first(
    shop_db, at_time, tracker, dispatcher, domain, chosen
):
    at_time(AFTER_HOURS)
    events = run(ActionHandoff(), dispatcher, tracker(intent="request_human"), domain)
    assert events == [
        SlotSet("handoff_reason", "request_human"),
        SlotSet("handoff_explanation", "Asked for a person"),
        FollowupAction("handoff_contact_form"),
    ]
    assert chosen(dispatcher) == []
    assert shop.services().tickets.latest_for("test-user") is None


def test_after_hours_with_an_email_promises_a_follow_up_and_does_not_pause(
    shop_db, at_time, tracker, dispatcher, domain, chosen
):
    at_time(AFTER_HOURS)
    slots = {"email": "visitor@example.com"}
    events = run(ActionHandoff(), dispatcher, tracker(slots=slots, intent="request_human"), domain)
    assert events == CLEARED
    assert ConversationPaused() not in events
    ticket = ticket_of()
    assert ticket["status"] == "waiting"
    # Support opens at 8am on Wednesday; shop/handoff.yml promises a reply within 2 hours.
    assert ticket["follow_up"] == {"email": "visitor@example.com", "by": "2026-11-25T10:00:00"}
    assert chosen(dispatcher) == ["utter_handoff_after_hours"]
    promise = message(dispatcher, "utter_handoff_after_hours")
    assert (promise["email"], promise["when"]) == ("visitor@example.com", "tomorrow at 10am")


def test_an_email_promise_without_a_date_is_the_queue_again_not_a_crash(
    shop_db, tracker, dispatcher, domain, chosen
):
    store = shop.services().tickets
    store.create(
        conversation_id="test-user",
        channel="rest",
        reason_code="request_human",
        explanation="Asked for a person",
        priority=3,
        summary="Asked for a person",
        context={},
        transcript=[],
        follow_up_email="visitor@example.com",
    )
    events = run(ActionHandoff(), dispatcher, tracker(intent="request_human"), domain)
    assert events == [*CLEARED, ConversationPaused()]
    assert chosen(dispatcher)[0].startswith("utter_handoff_queued")


def test_the_contact_form_comes_back_with_the_original_reason(
    shop_db, at_time, tracker, dispatcher, domain
):
    at_time(AFTER_HOURS)
    frustrated = {"score": 0.9, "level": "high", "reasons": [{"detail": "shouting"}]}
    asked = run(
        ActionEscalateFrustration(),
        dispatcher,
        tracker(slots={"frustration": frustrated}),
        domain,
    )
    slots = {event["name"]: event["value"] for event in asked if event["event"] == "slot"}
    slots["email"] = "visitor@example.com"
    run(ActionHandoff(), dispatcher, tracker(slots=slots, intent="inform"), domain)
    ticket = ticket_of()
    assert (ticket["reason_code"], ticket["explanation"]) == (
        "frustration",
        "Frustration 0.90 (high): shouting",
    )
    assert ticket["follow_up"]["email"] == "visitor@example.com"


# --- Other ways into a handoff ---


def test_the_fallback_hands_over_with_what_was_not_understood(
    shop_db, tracker, dispatcher, domain, chosen
):
    events = [
        user("hello", "greet"),
        bot("Hi!"),
        user("blorp the frobnicator", "nlu_fallback"),
        bot("Sorry, I didn't get that."),
        user("x" * 100, "nlu_fallback"),
    ]
    result = run(ActionDefaultFallback(), dispatcher, tracker(events=events), domain)
    assert result == [*CLEARED, ConversationPaused()]
    ticket = ticket_of()
    assert ticket["reason_code"] == "not_understood"
    assert ticket["explanation"] == f'Not understood: "blorp the frobnicator" / "{"x" * 80}"'
    assert ticket["priority"] == 2
    assert chosen(dispatcher) == ["utter_handoff_not_understood", "utter_handoff_queued_no_agents"]


def test_escalating_frustration_explains_the_score_to_the_agent(
    shop_db, tracker, dispatcher, domain, chosen
):
    frustrated = {
        "score": 0.8234,
        "level": "high",
        "turn": 4,
        "reasons": [
            {"code": "negative_sentiment", "detail": "negative message", "weight": 0.4},
            {"code": "repeated_request", "detail": "asked again", "weight": 0.3},
        ],
    }
    events = run(
        ActionEscalateFrustration(),
        dispatcher,
        tracker(slots={"frustration": frustrated}, intent="order_status"),
        domain,
    )
    assert events == [*CLEARED, ConversationPaused()]
    ticket = ticket_of()
    assert ticket["reason_code"] == "frustration"
    assert ticket["explanation"] == "Frustration 0.82 (high): negative message; asked again"
    assert (ticket["priority"], ticket["priority_label"]) == (1, "urgent")
    assert chosen(dispatcher) == ["utter_frustration_escalate", "utter_handoff_queued_no_agents"]


# --- Never mind ---


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        ([], False),
        ([ConversationResumed()], False),
        ([ConversationPaused(), ConversationResumed(), user("never mind", "nevermind")], True),
        (
            [
                ConversationResumed(),
                slot("frustration", None),
                slot("order_id", "1"),
                user("never mind", "nevermind"),
            ],
            True,
        ),
        ([ConversationResumed(), bot("Hi"), user("never mind", "nevermind")], False),
        ([user("never mind", "nevermind")], False),
        ([slot("order_id", "1"), user("never mind", "nevermind")], False),
        (
            [
                ConversationResumed(),
                user("hi", "greet"),
                bot("Hello"),
                user("never mind", "nevermind"),
            ],
            False,
        ),
        ([user("never mind", "nevermind"), ConversationResumed()], False),
    ],
)
def test_withdrawn_only_right_after_a_resume(events, expected):
    assert withdrawn(events) is expected


def test_nevermind_after_the_channel_withdrew_the_handoff(tracker, dispatcher, domain, chosen):
    events = [
        *ASKED_FOR_A_PERSON,
        ConversationPaused(),
        ConversationResumed(),
        user("never mind", "nevermind"),
    ]
    assert run(ActionNevermind(), dispatcher, tracker(events=events), domain) == []
    assert chosen(dispatcher) == ["utter_handoff_withdrawn"]


def test_nevermind_without_a_handoff(tracker, dispatcher, domain, chosen):
    events = [user("never mind", "nevermind")]
    assert run(ActionNevermind(), dispatcher, tracker(events=events), domain) == []
    assert chosen(dispatcher) == ["utter_nevermind"]


# --- The contact form for after hours ---


def test_contact_form_normalises_a_valid_email(tracker, dispatcher, domain, chosen):
    form = ValidateHandoffContactForm()
    result = form.validate_email(" Visitor@Example.COM ", dispatcher, tracker(), domain)
    assert result == {"email": "visitor@example.com"}
    assert chosen(dispatcher) == []


@pytest.mark.parametrize("value", ["not an email", "a@b", "", None, []])
def test_contact_form_rejects_an_invalid_email(tracker, dispatcher, domain, chosen, value):
    form = ValidateHandoffContactForm()
    assert form.validate_email(value, dispatcher, tracker(), domain) == {"email": None}
    assert chosen(dispatcher) == ["utter_invalid_email"]


def test_contact_form_takes_the_first_of_several_emails(tracker, dispatcher, domain):
    form = ValidateHandoffContactForm()
    value = ["first@example.com", "second@example.com"]
    assert form.validate_email(value, dispatcher, tracker(), domain) == {
        "email": "first@example.com"
    }
