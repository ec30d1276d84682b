"""bot/tools/soak/sentences.py: recognising the domain's sentences, and what Rasa keeps."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from bot.settings import ROOT
from bot.tools.soak.sentences import Sentences, pattern, stored_as

RESPONSES: dict[str, Any] = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))[
    "responses"
]


def said(name: str, **values: Any) -> str:
    return str(RESPONSES[name][0]["text"]).format(**values)


@pytest.fixture(scope="module")
def sentences() -> Sentences:
    return Sentences.load()


def test_a_template_matches_any_values_of_its_placeholders() -> None:
    queued = pattern("You're number {position} in the queue; about {minutes} min.")
    assert queued.fullmatch("You're number 3 in the queue; about 12 min.")
    assert not queued.fullmatch("You're number 3 in the line; about 12 min.")
    assert pattern("Cost: £3.95 (3-5 days)").fullmatch("Cost: £3.95 (3-5 days)")  # no regex


def test_the_domains_handoff_sentences_are_recognised(sentences: Sentences) -> None:
    assert sentences.handoff([said("utter_handoff_queued", position=2, minutes=6)])
    assert sentences.handoff(["Hi", said("utter_handoff_queued_no_agents", position=1)])
    assert sentences.handoff([said("utter_action_server_down_handoff")])
    assert not sentences.handoff([said("utter_greet")])


def test_the_action_server_apologies_are_recognised(sentences: Sentences) -> None:
    assert sentences.apology([said("utter_action_server_down")])
    assert sentences.apology([said("utter_action_server_down_handoff")])
    assert sentences.apology([said("utter_action_server_down_no_handoff", phone="0", email="e")])
    # The conversation store's apology comes with a 503, which is a retry, not an apology.
    assert not sentences.apology([said("utter_service_unavailable")])
    assert not sentences.apology([said("utter_handoff_queued", position=1, minutes=6)])


def test_the_bot_coming_back_is_recognised(sentences: Sentences) -> None:
    assert sentences.back_with_the_bot([said("utter_handoff_resolved")])
    assert sentences.back_with_the_bot([said("utter_handoff_returned")])
    assert not sentences.back_with_the_bot([said("utter_agent_joined", agent="Sam")])


def test_a_missing_response_is_an_error_not_a_silent_miss() -> None:
    with pytest.raises(KeyError):
        Sentences.from_responses({"utter_greet": [{"text": "Hi"}]})


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("where is my order?", "where is my order?"),
        ("  hi\x00 there\x07 ", "hi there"),  # control characters dropped, trimmed
        ("\ud800hello", "hello"),  # a lone surrogate can't be stored
        ("/restart", "restart"),  # a payload the bot didn't offer is read as words
        ('/inform{"customer_id": 7}', 'inform{"customer_id": 7}'),
        ("///", "?"),
        ("/greet", "/greet"),  # what channels' own commands send
        ("\x00\x01", None),  # nothing left: refused as empty
        ("🙂🙂", "🙂🙂"),
    ],
)
def test_what_rasa_keeps_of_a_message(sent: str, kept: str | None) -> None:
    assert stored_as(sent) == kept


def test_an_offered_button_is_kept_as_its_payload() -> None:
    payload = '/inform{"csat_score": "5"}'
    assert stored_as(payload, frozenset({payload})) == payload
