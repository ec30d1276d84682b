"""bot/ops/action_results.py: the action server's answers are checked as Rasa checks them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from bot.ops import action_results

GOOD: list[dict[str, Any]] = [
    {"events": [], "responses": []},
    {
        "events": [
            {"event": "slot", "name": "order_id", "value": "100231"},
            {"event": "active_loop", "name": None},
            {"event": "followup", "name": "action_listen"},
        ],
        "responses": [{"response": "utter_greet", "name": "Maya"}, {"text": "Hi"}],
    },
    {"responses": [{"text": "no events at all"}]},
]
BAD: list[dict[str, Any]] = [
    {"events": [{"event": "no_such_event"}], "responses": []},
    {"events": [{"event": "slot"}], "responses": []},  # a slot without its name
    {"events": "not a list", "responses": []},
    {"events": [], "responses": ["not an object"]},
]


@pytest.fixture
def rasas() -> Iterator[RemoteAction]:
    action_results.uninstall()
    yield RemoteAction("action_check_order_status", None)
    action_results.uninstall()


def _outcome(action: RemoteAction, result: dict[str, Any]) -> tuple[bool, str | None]:
    try:
        return action._validate_action_result(result), None
    except ValidationError as error:
        return False, error.message


@pytest.mark.parametrize("result", GOOD + BAD)
def test_every_answer_gets_rasas_verdict_and_message(
    rasas: RemoteAction, result: dict[str, Any]
) -> None:
    expected = _outcome(rasas, result)
    assert action_results.install()
    assert _outcome(RemoteAction("action_check_order_status", None), result) == expected
    if result in BAD:
        assert (
            expected[1] is not None and "Failed to validate Action server response" in expected[1]
        )


def test_the_schema_is_checked_once_not_on_every_call(
    rasas: RemoteAction, monkeypatch: pytest.MonkeyPatch
) -> None:
    action_results.validator_for.cache_clear()
    from jsonschema.validators import Draft7Validator, validator_for

    kind = validator_for(RemoteAction.action_response_format_spec())
    checks: list[int] = []
    original = kind.check_schema.__func__  # type: ignore[attr-defined]
    monkeypatch.setattr(
        kind, "check_schema", classmethod(lambda cls, s: checks.append(1) or original(cls, s))
    )
    assert action_results.install()
    for _ in range(5):
        assert RemoteAction("action_greet", None)._validate_action_result(GOOD[1])
    assert checks == [1]
    assert kind is Draft7Validator or kind.__name__.startswith("Draft")


def test_rasas_own_check_stays_when_asked(
    rasas: RemoteAction, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(action_results.ENV_CHECK, "rasa")
    before = RemoteAction.__dict__["_validate_action_result"]
    assert action_results.install() is False
    assert RemoteAction.__dict__["_validate_action_result"] is before
