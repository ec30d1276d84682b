"""actions/fallback.py: the first stage of the two-stage fallback (topic buttons)."""

from __future__ import annotations

import asyncio

from actions.fallback import ActionDefaultAskAffirmation

SOMETHING_ELSE = {"title": "Something else", "payload": "/out_of_scope"}


def ranking(*names: str) -> list[dict]:
    return [
        {"name": name, "confidence": round(0.9 - index * 0.1, 2)}
        for index, name in enumerate(names)
    ]


def buttons(tracker, dispatcher, domain, **message) -> list[dict]:
    events = asyncio.run(
        ActionDefaultAskAffirmation().run(
            dispatcher, tracker(intent="nlu_fallback", **message), domain
        )
    )
    assert events == []
    assert [m["response"] for m in dispatcher.messages] == ["utter_ask_affirmation"]
    return dispatcher.messages[0]["buttons"]


def test_top_three_guesses_then_something_else(tracker, dispatcher, domain):
    guesses = ranking(
        "nlu_fallback", "order_status", "cancel_order", "refund_status", "shipping_info"
    )
    assert buttons(tracker, dispatcher, domain, intent_ranking=guesses) == [
        {"title": "Track an order", "payload": "/order_status"},
        {"title": "Cancel an order", "payload": "/cancel_order"},
        {"title": "Check a refund", "payload": "/refund_status"},
        SOMETHING_ELSE,
    ]


def test_answers_and_small_talk_are_not_offered(tracker, dispatcher, domain):
    guesses = ranking(
        "nlu_fallback",
        "affirm",
        "greet",
        "inform",
        "deny",
        "goodbye",
        "out_of_scope",
        "opening_hours",
    )
    assert buttons(tracker, dispatcher, domain, intent_ranking=guesses) == [
        {"title": "Opening hours", "payload": "/opening_hours"},
        SOMETHING_ELSE,
    ]


def test_intents_without_a_topic_title_are_skipped(tracker, dispatcher, domain):
    guesses = ranking("nlu_fallback", "made_up_intent", "return_item")
    assert buttons(tracker, dispatcher, domain, intent_ranking=guesses) == [
        {"title": "Return an item", "payload": "/return_item"},
        SOMETHING_ELSE,
    ]


def test_entities_are_carried_in_every_payload(tracker, dispatcher, domain):
    guesses = ranking("nlu_fallback", "order_status", "return_item")
    entities = [
        {"entity": "order_id", "value": "100231", "start": 9, "end": 15},
        {"entity": "email", "value": "maya.patel@example.com"},
        {"value": "no entity name"},
    ]
    result = buttons(tracker, dispatcher, domain, intent_ranking=guesses, entities=entities)

    carried = '{"order_id": "100231", "email": "maya.patel@example.com"}'
    assert [b["payload"] for b in result] == [
        f"/order_status{carried}",
        f"/return_item{carried}",
        "/out_of_scope",
    ]


def test_without_guesses_only_something_else_is_offered(tracker, dispatcher, domain):
    assert buttons(tracker, dispatcher, domain, intent_ranking=ranking("nlu_fallback")) == [
        SOMETHING_ELSE
    ]
