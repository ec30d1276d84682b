"""End to end: sentiment and frustration through the REST channel, real servers and database.

Ten scripted conversations must take the empathy or escalation path, ten must not.
The frustration score and its reasons are read back from the tracker over the
token-protected HTTP API, where a human agent's tools will read them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from bot.settings import ROOT
from tests.conftest import FIXED_NOW
from tests.e2e.servers import TOKEN, Relay, http, site, start

RESPONSES = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]
ACKNOWLEDGE = [
    RESPONSES[name][0]["text"]
    for name in (
        "utter_frustration_apology",
        "utter_frustration_repeated",
        "utter_frustration_not_understood",
        "utter_frustration_empathy",
    )
]
OFFER = RESPONSES["utter_offer_human"][0]["text"]
ESCALATE = RESPONSES["utter_frustration_escalate"][0]["text"]
COMPLAINT_APOLOGY = RESPONSES["utter_complain_apology"][0]["text"]


@pytest.fixture(scope="module")
def relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Relay]:
    running = start(tmp_path_factory.mktemp("relay"), {"RELAY_NOW": FIXED_NOW})
    yield running
    running.stop()


def chat(relay: Relay, sender: str, messages: list[str]) -> list[list[dict[str, Any]]]:
    return [relay.say(sender, message) for message in messages]


def texts(replies: list[dict[str, Any]]) -> list[str]:
    return [reply.get("text", "") for reply in replies]


def acknowledged(replies: list[dict[str, Any]]) -> bool:
    said = texts(replies)
    return any(text in said for text in ACKNOWLEDGE) and OFFER in said


def escalated(replies: list[dict[str, Any]]) -> bool:
    return ESCALATE in texts(replies)


def empathised(replies: list[dict[str, Any]]) -> bool:
    """Any apology path: acknowledgement, escalation, or the complaint's own apology."""
    return acknowledged(replies) or escalated(replies) or COMPLAINT_APOLOGY in texts(replies)


def answered_or_handed_over(replies: list[dict[str, Any]]) -> None:
    """After an apology the customer still gets the answer (the order's status, which is all
    a visitor hears); after an escalation a person takes over, with the question in the ticket."""
    said = "\n".join(texts(replies))
    if escalated(replies):
        assert "passed your conversation to our team" in said, said
    else:
        assert "100231 is on its way" in said, said


def tracker(relay: Relay, sender: str) -> dict[str, Any]:
    status, body = http("GET", f"{relay.url}/conversations/{site(sender)}/tracker?token={TOKEN}")
    assert status == 200, body
    return body


def frustration(relay: Relay, sender: str) -> dict[str, Any]:
    return tracker(relay, sender)["slots"]["frustration"]


def test_model_parse_returns_sentiment_next_to_the_intent(relay: Relay) -> None:
    status, parse = http(
        "POST", f"{relay.url}/model/parse?token={TOKEN}", {"text": "this is awful, nothing works"}
    )
    assert status == 200, parse
    assert parse["sentiment"]["label"] == "negative" and -1 <= parse["sentiment"]["score"] < 0
    assert parse["intent"]["name"]


def test_huge_runs_of_punctuation_get_a_prompt_answer(relay: Relay) -> None:
    """The emphasis patterns stay linear: 100,000 characters of !? are scored in no time.

    (Channels refuse messages over 5,000 characters; the NLU is reached here directly.)
    """
    started = time.monotonic()
    status, parse = http(
        "POST", f"{relay.url}/model/parse?token={TOKEN}", {"text": "!" * 50_000 + "?!" * 25_000}
    )
    assert status == 200 and "sentiment" in parse
    assert time.monotonic() - started < 20


# --- Conversations that must take the empathy or escalation path ---------------------------


def test_a_furious_first_message_is_escalated_to_people(relay: Relay) -> None:
    [replies] = chat(
        relay, "fr-furious", ["WHERE IS MY ORDER?!?! THIS IS THE THIRD TIME I'M ASKING"]
    )
    assert escalated(replies), texts(replies)
    # The escalation is a real handoff: a ticket in the queue (tests/e2e/test_handoff.py).
    assert any("passed your conversation to our team" in text for text in texts(replies))
    slot = frustration(relay, "fr-furious")
    assert slot["level"] == "high"
    codes = {reason["code"] for reason in slot["reasons"]}
    assert {"negative_sentiment", "shouting", "frustration_phrase"} <= codes


def test_asking_again_and_again_gets_an_apology_and_still_the_answer(relay: Relay) -> None:
    replies = chat(
        relay,
        "fr-repeat",
        [
            "where is my order 100231",
            "where is my order 100231?",
            "I'm asking again, where is order 100231",
        ],
    )
    assert not empathised(replies[0]) and not empathised(replies[1])
    assert acknowledged(replies[2]) or escalated(replies[2]), texts(replies[2])
    answered_or_handed_over(replies[2])
    codes = [reason["code"] for reason in frustration(relay, "fr-repeat")["reasons"]]
    assert "repeated_request" in codes


def test_not_being_helped_twice_in_a_row_is_acknowledged(relay: Relay) -> None:
    replies = chat(
        relay,
        "fr-unhelped",
        ["can you recommend a good pizza place nearby", "what's the weather going to be tomorrow"],
    )
    assert acknowledged(replies[1]), texts(replies[1])
    assert RESPONSES["utter_frustration_not_understood"][0]["text"] in texts(replies[1])


def test_a_sharp_refund_complaint_is_acknowledged_with_an_apology(relay: Relay) -> None:
    [replies] = chat(
        relay, "fr-refund", ["this is ridiculous, my refund for order 100212 still hasn't arrived"]
    )
    assert empathised(replies), texts(replies)
    assert frustration(relay, "fr-refund")["level"] in {"elevated", "high"}


def test_sarcasm_builds_up_to_an_apology(relay: Relay) -> None:
    replies = chat(
        relay,
        "fr-sarcasm",
        [
            "oh brilliant, my parcel is late again. just perfect.",
            "fantastic, still no sign of order 100233. love that for me",
            "wow, great service, three weeks and still nothing",
        ],
    )
    assert any(empathised(turn) for turn in replies), [texts(turn) for turn in replies]


def test_frustration_inside_a_form_is_acknowledged_and_the_form_carries_on(relay: Relay) -> None:
    replies = chat(
        relay,
        "fr-form",
        ["I'd like to check on my order", "100231!!! I already told you this yesterday"],
    )
    assert acknowledged(replies[1]) or escalated(replies[1]), texts(replies[1])
    answered_or_handed_over(replies[1])


def test_shouting_and_negativity_over_two_turns_is_acknowledged(relay: Relay) -> None:
    replies = chat(
        relay,
        "fr-caps",
        ["MY PASSWORD RESET EMAIL NEVER CAME", "I STILL CAN'T GET INTO MY ACCOUNT"],
    )
    assert any(empathised(turn) for turn in replies), [texts(turn) for turn in replies]


def test_a_polite_but_unhappy_customer_is_acknowledged(relay: Relay) -> None:
    replies = chat(
        relay,
        "fr-polite",
        [
            "I'm sorry to bother you, but I'm quite disappointed my order 100233 is so late",
            "I'm afraid this really isn't good enough, it was meant to be a gift",
        ],
    )
    assert any(empathised(turn) for turn in replies), [texts(turn) for turn in replies]


def test_anger_that_keeps_rising_is_escalated_after_the_apology(relay: Relay) -> None:
    replies = chat(
        relay,
        "fr-rising",
        [
            "my refund still hasn't come through and I'm not happy",
            "honestly this is getting ridiculous",
            "I'm fed up, this is useless!!",
            "USELESS. I WANT MY MONEY BACK",
        ],
    )
    assert empathised(replies[0]) and any(escalated(turn) for turn in replies), [
        texts(turn) for turn in replies
    ]
    # Once handed over, the bot doesn't repeat the hand-over on every angry message.
    [again] = chat(relay, "fr-rising", ["STILL WAITING FOR MY MONEY!!"])
    assert not escalated(again), texts(again)


def test_the_reasons_are_stored_for_the_agent(relay: Relay) -> None:
    chat(relay, "fr-reasons", ["this is a joke, nobody answers my emails about order 100240!!"])
    slot = frustration(relay, "fr-reasons")
    assert slot["score"] >= 0.5
    assert all({"code", "detail", "weight"} <= set(reason) for reason in slot["reasons"])
    parse = [e for e in tracker(relay, "fr-reasons")["events"] if e["event"] == "user"][-1]
    assert parse["parse_data"]["sentiment"]["label"] == "negative"


# --- Conversations that must not -----------------------------------------------------------


CALM_CONVERSATIONS = {
    "calm-cancel": ["I'd like to cancel my order 100260 please", "tom.becker@example.org", "yes"],
    "calm-long-question": [
        "Hi, I bought something from you last month and I'm wondering whether I can still "
        "send it back. I haven't used it, it's still in the box and I have the receipt. "
        "What's your returns policy and how long do I have?"
    ],
    "calm-broken": ["the zip on my bag is broken, can I return it?"],
    "calm-many-topics": [
        "what are your opening hours?",
        "where is your nearest store?",
        "how much is delivery?",
        "which payment methods do you take?",
        "how do loyalty points work?",
    ],
    "calm-thanks": ["hello", "what time do you close today?", "thanks!", "bye"],
    "calm-compliment": ["you've been really helpful, thank you so much"],
    "calm-two-requests": ["where is my order 100205?", "can I change the delivery address?"],
    "calm-refund": ["when will my refund for order 100212 arrive?"],
    "calm-subscription": ["please cancel my subscription"],
    "calm-no-thanks": ["what payment methods do you accept?", "no, that's all, thanks"],
}


@pytest.mark.parametrize("sender", sorted(CALM_CONVERSATIONS))
def test_calm_customers_are_not_treated_as_frustrated(relay: Relay, sender: str) -> None:
    replies = chat(relay, sender, CALM_CONVERSATIONS[sender])
    for turn in replies:
        assert not acknowledged(turn) and not escalated(turn), texts(turn)
    slots = tracker(relay, sender)["slots"]
    assert slots["frustration_level"] == "calm", slots["frustration"]


def test_thanks_after_a_rough_start_is_acknowledged_warmly(relay: Relay) -> None:
    replies = chat(
        relay,
        "fr-then-thanks",
        # Elevated, not high: the bot apologises and answers (high would hand over to a person).
        ["this is annoying, where is order 100205?", "ok great, thank you so much"],
    )
    warm = RESPONSES["utter_you_are_welcome"][0]["text"]
    assert warm in texts(replies[1]), texts(replies[1])
