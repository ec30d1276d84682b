"""bot/tools/soak/bad_input.py: the catalogue's expectations, checked against the channels'
own rules (bot/channels/inbound.py, rest.py, widget.py) without a server."""

from __future__ import annotations

import pytest

from bot.channels import widget
from bot.channels.inbound import InboundError, json_object, message_text
from bot.channels.rest import RelayRestInput
from bot.tools.soak.bad_input import (
    BACKEND,
    CATALOGUE,
    FORGED,
    NOBODY,
    REST_WEBHOOK,
    SENDER,
    SESSION,
    TOKEN,
    WIDGET_MESSAGE,
    WRONG,
    BadInput,
)

SENDER_ID = "soak-b1"
SESSION_TOKEN = "a-valid-session.signature"


def rest_status(case: BadInput) -> int:
    """What Relay's REST channel (behind a token, senders are customers) answers."""
    if case.auth in (NOBODY, WRONG):
        return 401
    if case.content_type != "application/json":
        return 415
    channel = RelayRestInput(token="backend", senders_are_customers=True)
    try:
        body = json_object(case.request_body(SENDER_ID, ""))
        channel._sender(body.get("sender"))
        message_text(body.get("message"))
    except InboundError as refused:
        return refused.status
    return 200


def widget_status(case: BadInput) -> int:
    """What the widget's /message answers (a valid session unless the case forges one)."""
    try:
        body = json_object(case.request_body("", SESSION_TOKEN))
        if not body.get("token"):
            return 401
        if case.auth == FORGED:
            return 403
        widget._message_text(body)
    except InboundError as refused:
        return refused.status
    return 200


@pytest.mark.parametrize(
    "case",
    [c for c in CATALOGUE if c.path == REST_WEBHOOK and c.body is not None],
    ids=lambda c: c.name,
)
def test_rest_cases_expect_what_the_channel_answers(case: BadInput) -> None:
    assert case.accepts(rest_status(case)), (case.name, rest_status(case))


@pytest.mark.parametrize(
    "case", [c for c in CATALOGUE if c.path == WIDGET_MESSAGE], ids=lambda c: c.name
)
def test_widget_cases_expect_what_the_channel_answers(case: BadInput) -> None:
    assert case.accepts(widget_status(case)), (case.name, widget_status(case))


def test_no_case_may_get_a_server_error() -> None:
    for case in CATALOGUE:
        assert all(200 <= status < 500 for status in case.expected), case.name


def test_cases_that_reach_the_bot_are_exactly_the_200s() -> None:
    for case in CATALOGUE:
        assert case.reaches_the_bot == (case.expected == frozenset({200})), case.name
        if case.reaches_the_bot:
            assert case.stored, f"{case.name}: Rasa must keep something"


def test_names_are_unique() -> None:
    names = [case.name for case in CATALOGUE]
    assert len(names) == len(set(names))


@pytest.mark.parametrize(
    "kind",
    [
        "empty",
        "whitespace",
        "too long",
        "invalid UTF-8",
        "malformed JSON",
        "a JSON list",
        "content type",
        "control characters",
        "emoji",
        "right-to-left",
        "HTML",
        "SQL-like",
        "path-like order",
        "/restart",
        "/inform",
        "unknown session token",
        "short anonymous sender",
    ],
)
def test_the_catalogue_covers(kind: str) -> None:
    assert any(kind.lower() in case.name.lower() for case in CATALOGUE), kind


def test_forged_payloads_are_kept_as_words() -> None:
    stored = {case.name: case.stored for case in CATALOGUE if case.reaches_the_bot}
    assert stored["forged /restart"] == "restart"
    assert stored["forged /inform{...}"].startswith("inform{")
    assert stored["widget: forged payload /restart"] == "restart"


def test_placeholders_are_filled_in_bodies_and_paths() -> None:
    raw = BadInput(
        "x", f"/p?sender={SENDER}&t={TOKEN}", b'{"s": "@SENDER@", "b": "\xff"}', frozenset({400})
    )
    assert raw.request_body("me", "tok") == b'{"s": "me", "b": "\xff"}'  # invalid bytes stay
    assert raw.request_path("a/b", "t.k") == "/p?sender=a%2Fb&t=t.k"


def test_widget_cases_say_what_session_they_use() -> None:
    for case in CATALOGUE:
        if case.widget and TOKEN in (case.path + (case.body or b"").decode("utf-8", "replace")):
            assert case.auth in (SESSION, FORGED), case.name
        if not case.widget:
            assert case.auth in (BACKEND, NOBODY, WRONG), case.name
