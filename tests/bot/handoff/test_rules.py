"""bot/handoff/rules.py: the shop's handoff rules from shop/handoff.yml."""

from __future__ import annotations

from typing import Any

import pytest

from bot.handoff.rules import REASON_CODES, HandoffRulesError, Reason, load_rules, parse_rules
from bot.settings import DEFAULT_HANDOFF_FILE


def reasons(**overrides: Any) -> dict[str, Any]:
    entries = {code: {"label": code.title(), "priority": 3} for code in REASON_CODES}
    entries.update(overrides)
    return {"reasons": entries}


def test_the_shop_s_rules_load_with_every_reason():
    rules = load_rules(DEFAULT_HANDOFF_FILE)
    assert set(REASON_CODES) <= set(rules.reasons)
    assert rules.reason("frustration") == Reason("frustration", "Customer is frustrated", 1)
    assert rules.reason("request_human").priority == 2
    assert rules.reason("always_human").priority == 1
    assert rules.reason("not_understood").label.startswith("The bot did not understand")
    assert rules.always_human_intents["billing_problem"].startswith("Billing problem")
    assert (rules.default_handle_minutes, rules.agent_online_seconds, rules.follow_up_hours) == (
        6.0,
        90.0,
        2.0,
    )


def test_defaults_for_optional_keys():
    rules = parse_rules(reasons(request_human={}))
    assert rules.reason("request_human") == Reason("request_human", "request_human", 3)
    assert rules.always_human_intents == {}
    assert (rules.default_handle_minutes, rules.agent_online_seconds, rules.follow_up_hours) == (
        6.0,
        90.0,
        2.0,
    )


def test_extra_reasons_are_kept():
    rules = parse_rules(reasons(vip={"label": "VIP customer", "priority": 1}))
    assert rules.reason("vip") == Reason("vip", "VIP customer", 1)


@pytest.mark.parametrize("missing", REASON_CODES)
def test_a_missing_reason_is_an_error(missing):
    raw = reasons()
    del raw["reasons"][missing]
    with pytest.raises(HandoffRulesError, match=missing):
        parse_rules(raw)


def test_no_reasons_at_all_names_every_code():
    with pytest.raises(HandoffRulesError) as error:
        parse_rules({})
    assert all(code in str(error.value) for code in REASON_CODES)


@pytest.mark.parametrize("priority", [0, 4, -1])
def test_a_priority_outside_one_to_three_is_an_error(priority):
    with pytest.raises(HandoffRulesError, match=r"reasons\.frustration\.priority"):
        parse_rules(reasons(frustration={"label": "x", "priority": priority}))


def test_an_empty_file_is_an_error(tmp_path):
    path = tmp_path / "handoff.yml"
    path.write_text("", encoding="utf-8")
    with pytest.raises(HandoffRulesError):
        load_rules(path)
