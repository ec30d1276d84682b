"""actions/frustration.py: apologies that fit the reason, and handing over to people."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from actions import shop
from actions.frustration import (
    ActionAcknowledgeFrustration,
    ActionEscalateFrustration,
    apology_for,
    main_reason,
)


def run(action, dispatcher, tracker, domain):
    return asyncio.run(action.run(dispatcher, tracker, domain))


def frustration(*codes: str) -> dict[str, Any]:
    reasons = [{"code": code, "detail": code, "weight": 0.3} for code in codes]
    return {"score": 0.6, "level": "elevated", "turn": 3, "reasons": reasons}


def test_main_reason_skips_what_was_carried_over() -> None:
    assert main_reason(frustration("earlier_frustration", "repeated_request")) == "repeated_request"
    assert main_reason(frustration("earlier_frustration")) is None
    assert main_reason(None) is None


@pytest.mark.parametrize(
    ("codes", "intent", "response"),
    [
        (("not_understood",), "nlu_fallback", "utter_frustration_not_understood"),
        (("repeated_request", "negative_sentiment"), "order_status", "utter_frustration_repeated"),
        (("negative_sentiment",), "refund_status", "utter_frustration_apology"),
        (("shouting",), "bot_challenge", "utter_frustration_empathy"),
    ],
)
def test_the_apology_fits_the_reason(tracker, codes, intent, response) -> None:
    assert (
        apology_for(tracker(slots={"frustration": frustration(*codes)}, intent=intent)) == response
    )


def test_acknowledging_apologises_offers_a_person_and_reverts_itself(
    tracker, dispatcher, domain, chosen
) -> None:
    slots = {"frustration": frustration("negative_sentiment")}
    events = run(
        ActionAcknowledgeFrustration(),
        dispatcher,
        tracker(slots=slots, intent="order_status"),
        domain,
    )
    assert chosen(dispatcher) == ["utter_frustration_apology", "utter_offer_human"]
    assert events == [{"event": "undo", "timestamp": None}]
    buttons = domain["responses"]["utter_offer_human"][0]["buttons"]
    assert buttons == [{"title": "Talk to a person", "payload": "/request_human"}]


def test_escalating_apologises_and_hands_over_to_a_person(
    shop_db, tracker, dispatcher, domain, chosen
) -> None:
    frustration = {
        "score": 0.86,
        "level": "high",
        "reasons": [{"code": "shouting", "detail": "written in capitals"}],
    }
    events = run(
        ActionEscalateFrustration(), dispatcher, tracker({"frustration": frustration}), domain
    )
    assert chosen(dispatcher) == ["utter_frustration_escalate", "utter_handoff_queued_no_agents"]
    assert events[-1] == {"event": "pause", "timestamp": None}
    [ticket] = shop.services().tickets.queue()
    assert ticket["reason_code"] == "frustration"
    assert ticket["explanation"] == "Frustration 0.86 (high): written in capitals"
