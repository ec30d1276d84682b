"""actions/csat.py: the rating a customer gives after an agent resolved their case."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa_sdk.events import SlotSet

from actions import shop
from actions.csat import (
    SKIPPED,
    ActionHandoffResolved,
    ActionRecordCsat,
    ValidateCsatForm,
    parse_score,
)

CLEARED = [SlotSet("csat_score", None), SlotSet("csat_comment", None), SlotSet("csat_ticket", None)]


@pytest.fixture(autouse=True)
def no_webhook(monkeypatch):
    monkeypatch.delenv("RELAY_WEBHOOK_URL", raising=False)
    monkeypatch.delenv("RELAY_WEBHOOK_SECRET", raising=False)


def run(action, dispatcher, tracker, domain):
    return asyncio.run(action.run(dispatcher, tracker, domain))


def resolved_ticket(conversation_id: str = "test-user") -> dict[str, Any]:
    store = shop.services().tickets
    ticket = store.create(
        conversation_id=conversation_id,
        channel="rest",
        reason_code="request_human",
        explanation="Asked for a person",
        priority=2,
        summary="Asked for a person",
        context={},
        transcript=[],
    )
    store.claim(ticket["id"], "alice")
    return store.close(ticket["id"], "alice", "resolved")


def with_confidence(built, confidence: float):
    built.latest_message["intent"]["confidence"] = confidence
    return built


# --- parse_score ---


@pytest.mark.parametrize(
    ("value", "score"),
    [
        ('/inform{"csat_score": "4"}', 4),
        ("4", 4),
        ("4 stars", 4),
        ("I'd give it a 2", 2),
        ("five", 5),
        ("Three, I guess", 3),
        (5, 5),
        ("10", None),
        ("0", None),
        ("6", None),
        ("4.5", None),
        ("great", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_score(value, score):
    assert parse_score(value) == score


# --- The form's validation ---


@pytest.mark.parametrize(("value", "slot"), [("4 stars", "4"), ('/inform{"csat_score": "1"}', "1")])
def test_a_rating_is_kept_as_its_digit(tracker, dispatcher, domain, chosen, value, slot):
    result = ValidateCsatForm().validate_csat_score(
        value, dispatcher, tracker(intent="inform", text=value), domain
    )
    assert result == {"csat_score": slot}
    assert chosen(dispatcher) == []


def test_an_answer_that_is_no_rating_asks_again(tracker, dispatcher, domain, chosen):
    result = ValidateCsatForm().validate_csat_score(
        "great", dispatcher, tracker(intent="compliment", text="great"), domain
    )
    assert result == {"csat_score": None}
    assert chosen(dispatcher) == ["utter_csat_invalid"]


def test_an_unsure_other_request_is_no_rating_either(tracker, dispatcher, domain, chosen):
    latest = with_confidence(tracker(intent="order_status", text="hmm order"), 0.5)
    result = ValidateCsatForm().validate_csat_score("hmm order", dispatcher, latest, domain)
    assert result == {"csat_score": None}
    assert chosen(dispatcher) == ["utter_csat_invalid"]


def test_a_confident_new_request_skips_the_survey(tracker, dispatcher, domain, chosen):
    latest = with_confidence(tracker(intent="order_status", text="where is my order"), 0.95)
    result = ValidateCsatForm().validate_csat_score("where is my order", dispatcher, latest, domain)
    assert result == {"csat_score": SKIPPED, "csat_comment": SKIPPED}
    assert chosen(dispatcher) == []


@pytest.mark.parametrize(
    ("intent", "value"), [("deny", "No thanks"), ("inform", "/deny"), ("deny", "nope")]
)
def test_no_comment_is_an_empty_comment(tracker, dispatcher, domain, intent, value):
    result = ValidateCsatForm().validate_csat_comment(
        value, dispatcher, tracker(intent=intent, text=value), domain
    )
    assert result == {"csat_comment": ""}


def test_a_comment_is_trimmed_and_limited(tracker, dispatcher, domain):
    form = ValidateCsatForm()
    latest = tracker(intent="compliment", text="  Alice was brilliant  ")
    assert form.validate_csat_comment("  Alice was brilliant  ", dispatcher, latest, domain) == {
        "csat_comment": "Alice was brilliant"
    }
    long = form.validate_csat_comment("y" * 1500, dispatcher, tracker(intent="inform"), domain)
    assert long == {"csat_comment": "y" * 1000}


# --- After the agent resolved the case ---


def test_resolved_remembers_the_latest_ticket_to_rate(shop_db, tracker, dispatcher, domain, chosen):
    resolved_ticket()
    latest = resolved_ticket()
    resolved_ticket("someone-else")
    events = run(ActionHandoffResolved(), dispatcher, tracker(), domain)
    assert events == [SlotSet("csat_ticket", latest["id"])]
    assert chosen(dispatcher) == ["utter_handoff_resolved"]


def test_resolved_without_a_ticket(shop_db, tracker, dispatcher, domain):
    assert run(ActionHandoffResolved(), dispatcher, tracker(), domain) == [
        SlotSet("csat_ticket", None)
    ]


# --- Recording the rating ---


@pytest.mark.parametrize(
    ("score", "response"), [("5", "utter_csat_thanks"), ("4", "utter_csat_thanks")]
)
def test_a_good_rating_is_stored_with_thanks(
    shop_db, tracker, dispatcher, domain, chosen, score, response
):
    ticket = resolved_ticket()
    slots = {
        "csat_score": score,
        "csat_comment": "Quick and kind",
        "csat_ticket": float(ticket["id"]),
    }
    events = run(ActionRecordCsat(), dispatcher, tracker(slots=slots), domain)
    assert events == CLEARED
    assert shop.services().tickets.get(ticket["id"])["csat"] == {
        "score": int(score),
        "comment": "Quick and kind",
    }
    assert chosen(dispatcher) == [response]


@pytest.mark.parametrize("score", ["1", "3"])
def test_a_poor_rating_is_stored_with_an_apology(
    shop_db, tracker, dispatcher, domain, chosen, score
):
    ticket = resolved_ticket()
    slots = {"csat_score": score, "csat_comment": "", "csat_ticket": float(ticket["id"])}
    events = run(ActionRecordCsat(), dispatcher, tracker(slots=slots), domain)
    assert events == CLEARED
    stored = shop.services().tickets.get(ticket["id"])
    assert stored["csat"] == {"score": int(score), "comment": None}
    assert stored["history"][-1]["event"] == "csat"
    assert chosen(dispatcher) == ["utter_csat_sorry"]


@pytest.mark.parametrize(
    "slots",
    [
        {"csat_score": SKIPPED, "csat_comment": SKIPPED},
        {"csat_score": None},
        {"csat_score": "5", "csat_ticket": None},
    ],
)
def test_a_skipped_survey_stores_nothing(shop_db, tracker, dispatcher, domain, chosen, slots):
    ticket = resolved_ticket()
    slots = {"csat_ticket": float(ticket["id"]), **slots}
    events = run(ActionRecordCsat(), dispatcher, tracker(slots=slots), domain)
    assert events == CLEARED
    assert shop.services().tickets.get(ticket["id"])["csat"] is None
    assert chosen(dispatcher) == ["utter_csat_skipped"]
