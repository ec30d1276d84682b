"""bot/ops/action_fallback.py: what Relay answers for an action it could not run."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import yaml
from sqlalchemy.exc import OperationalError

from bot.handoff.tickets import TicketStore
from bot.handoff.webhook import Webhook
from bot.ops import action_fallback
from bot.services import Services
from bot.settings import ROOT
from tests.support.tickets import open_ticket

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def quiet_webhook(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Webhook, "send", lambda self, event, ticket: None)


def call(action: str, text: str = "", intent: str = "greet", **tracker: Any) -> dict[str, Any]:
    events = [
        {
            "event": "user",
            "text": text,
            "input_channel": "widget",
            "parse_data": {"intent": {"name": intent}},
        },
    ]
    return {
        "next_action": action,
        "sender_id": "widget-abc",
        "tracker": {
            "events": events,
            "slots": {"customer_name": "Jo", "email": None, "customer_id": None},
            "latest_message": {"intent": {"name": intent}, "text": text},
            "active_loop": {},
            **tracker,
        },
        "domain": DOMAIN,
    }


def answer(services: Services, payload: dict[str, Any]) -> dict[str, Any]:
    reason = "the action server could not be reached"
    return asyncio.run(action_fallback.answer(services, payload, reason))


def responses(result: dict[str, Any]) -> list[str]:
    return [response["response"] for response in result["responses"]]


def test_every_response_it_names_is_in_the_domain() -> None:
    for name in (
        action_fallback.DOWN,
        action_fallback.DOWN_HANDOFF,
        action_fallback.DOWN_NO_HANDOFF,
    ):
        assert name in DOMAIN["responses"]


def test_an_ordinary_action_gets_an_apology(services: Services) -> None:
    result = answer(services, call("action_check_order_status"))
    assert result == {"events": [], "responses": [{"response": "utter_action_server_down"}]}


def test_a_form_stops_rather_than_asking_forever(services: Services) -> None:
    for result in (
        answer(services, call("validate_cancel_order_form")),
        answer(services, call("action_ask_order_id", active_loop={"name": "order_status_form"})),
    ):
        assert responses(result) == ["utter_action_server_down"]
        assert {"event": "active_loop", "name": None} in result["events"]
        assert {"event": "slot", "name": "requested_slot", "value": None} in result["events"]


def test_a_new_session_starts_and_stays_paused_for_a_person(
    services: Services, store: TicketStore
) -> None:
    fresh = answer(services, call("action_session_start"))
    assert fresh == {
        "events": [{"event": "session_started"}, {"event": "action", "name": "action_listen"}],
        "responses": [],
    }
    open_ticket(store, "widget-abc", channel="widget")
    paused = answer(services, call("action_session_start"))
    assert paused["events"][-1] == {"event": "pause"}


@pytest.mark.parametrize(
    ("action", "intent", "reason"),
    [
        ("action_handoff", "request_human", "request_human"),
        ("action_handoff", "billing_problem", "always_human"),
        ("action_default_fallback", "nlu_fallback", "not_understood"),
        ("action_escalate_frustration", "complain", "frustration"),
    ],
)
def test_a_request_for_a_person_still_reaches_one(
    services: Services, store: TicketStore, action: str, intent: str, reason: str
) -> None:
    result = answer(services, call(action, "I need a human, the site charged me twice", intent))
    assert responses(result) == ["utter_action_server_down_handoff"]
    assert result["events"] == [{"event": "pause"}]
    ticket = store.open_for("widget-abc")
    assert ticket is not None and ticket["reason_code"] == reason
    assert ticket["channel"] == "widget" and ticket["customer"]["name"] == "Jo"
    assert "the action server was down" in ticket["explanation"]
    detail = store.get(ticket["id"])
    assert detail["transcript"][0]["text"] == "I need a human, the site charged me twice"


def test_with_the_database_down_too_the_customer_is_told_how_to_reach_the_team(
    services: Services, store: TicketStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def dead(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("INSERT INTO handoff_tickets", {}, Exception("database is locked"))

    monkeypatch.setattr(TicketStore, "create", dead)
    result = answer(services, call("action_handoff", "a person please", "request_human"))
    assert responses(result) == ["utter_action_server_down_no_handoff"]
    assert result["events"] == []
    assert result["responses"][0]["phone"] and "@" in result["responses"][0]["email"]
