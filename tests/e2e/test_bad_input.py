"""End to end: the bad-input catalogue on every entry point of the real servers.

Each entry point (REST, the widget, the Telegram webhook, the console API, the
action server, the HTTP server as a whole) gets empty, huge, binary, malformed and
hostile input, and must answer with a clear 4xx (or, for odd but legitimate text, a
normal reply), never a 5xx, and keep serving.
"""

from __future__ import annotations

import json
import secrets
import urllib.error
import urllib.request
from typing import Any

import pytest

from tests.e2e.conftest import TELEGRAM_SECRET
from tests.e2e.servers import Relay
from tests.e2e.telegram_api import message_update


@pytest.fixture(scope="module")
def relay(telegram_relay: Relay) -> Relay:
    return telegram_relay


def raw(
    relay: Relay,
    path: str,
    body: bytes | None = None,
    content_type: str | None = "application/json",
    headers: dict[str, str] | None = None,
    method: str = "POST",
    port: int | None = None,
) -> tuple[int, Any]:
    url = f"http://127.0.0.1:{port or relay.ports.rasa}{path}"
    request = urllib.request.Request(url, data=body, method=method)
    if content_type:
        request.add_header("Content-Type", content_type)
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            status, text = answer.status, answer.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode(errors="replace")
    try:
        return status, json.loads(text)
    except json.JSONDecodeError:
        return status, text


def as_json(value: Any) -> bytes:
    return json.dumps(value).encode()


SENDER = secrets.token_urlsafe(18)
ODD_BUT_FINE = [
    "🙂🙂🙂",
    "مرحبا، أين طلبي؟ order 100231",
    "שלום where is my order",
    "<script>alert(1)</script><img src=x onerror=alert(2)>",
    "**bold** [link](javascript:alert(1)) `code`",
    "where is order 100231' OR '1'='1",
    "where is order ../../etc/passwd",
    "order 100231; DROP TABLE orders;--",
    "a\u0000b\u0007c\u001bd what are your opening hours",
]


@pytest.mark.parametrize("text", ODD_BUT_FINE)
def test_odd_but_legitimate_text_gets_a_normal_answer_on_rest(relay: Relay, text: str) -> None:
    status, replies = raw(
        relay, "/webhooks/rest/webhook", as_json({"sender": SENDER, "message": text})
    )
    assert status == 200 and isinstance(replies, list), (status, replies)


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (as_json({"sender": SENDER, "message": ""}), "application/json", 400),
        (as_json({"sender": SENDER, "message": "   \n\t "}), "application/json", 400),
        (as_json({"sender": SENDER, "message": "x" * 6000}), "application/json", 413),
        (b'{"sender": "' + SENDER.encode() + b'", "message": "\xff\xfe"}', "application/json", 400),
        (b"{not json", "application/json", 400),
        (as_json(["a", "list"]), "application/json", 400),
        (as_json({"sender": SENDER, "message": "hi"}), "text/plain", 415),
        (b"sender=x&message=hi", "application/x-www-form-urlencoded", 415),
        (as_json({"sender": "1001", "message": "hi"}), "application/json", 400),
        (
            as_json({"sender": "../../etc/passwd" + "x" * 20, "message": "hi"}),
            "application/json",
            400,
        ),
        (as_json({"sender": SENDER, "message": {"text": "hi"}}), "application/json", 400),
        (b"\x00\x01\x02" * 100, "application/octet-stream", 415),
    ],
)
def test_rest_refuses_bad_requests_clearly(
    relay: Relay, body: bytes, content_type: str, status: int
) -> None:
    answer, reply = raw(relay, "/webhooks/rest/webhook", body, content_type)
    assert answer == status and "error" in reply, (answer, reply)


def test_a_body_over_the_servers_limit_is_refused_before_it_is_read(relay: Relay) -> None:
    huge = b'{"sender": "' + SENDER.encode() + b'", "message": "' + b"x" * (3 * 1024 * 1024) + b'"}'
    for path in ("/webhooks/rest/webhook", "/webhooks/widget/message", "/console/api/v1/login"):
        try:
            status, _ = raw(relay, path, huge)
        except (ConnectionError, urllib.error.URLError):
            status = 413  # the server may close the connection while the client still sends
        assert status == 413, path
    assert raw(relay, "/health", method="GET", content_type=None)[0] == 200


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"token": "nonsense", "text": "hi"},
        {"token": "A" * 24 + ".forged", "text": "hi"},
        {"token": "site.d2ViLW1heWE.9999999999.forged", "text": "hi"},
        {"token": 42, "text": "hi"},
    ],
)
def test_the_widget_refuses_unknown_and_tampered_sessions(relay: Relay, body: dict) -> None:
    status, reply = raw(relay, "/webhooks/widget/message", as_json(body), "text/plain")
    assert status in (401, 403) and "error" in reply


def test_the_widget_refuses_bad_messages_and_takes_odd_ones(relay: Relay) -> None:
    _, session = raw(relay, "/webhooks/widget/session", b"{}", "text/plain")
    token = session["token"]
    for body, status in (
        ({"token": token, "text": ""}, 400),
        ({"token": token, "text": "x" * 6000}, 413),
        ({"token": token, "payload": "no slash"}, 400),
        ({"token": token}, 400),
    ):
        assert raw(relay, "/webhooks/widget/message", as_json(body), "text/plain")[0] == status
    for text in ODD_BUT_FINE[:4]:
        status, reply = raw(
            relay, "/webhooks/widget/message", as_json({"token": token, "text": text}), "text/plain"
        )
        assert status == 200 and "messages" in reply
    bad_json = raw(relay, "/webhooks/widget/message", b"{oops", "text/plain")
    assert bad_json[0] == 400
    assert (
        raw(
            relay,
            f"/webhooks/widget/updates?token={token}&after=-1",
            method="GET",
            content_type=None,
        )[0]
        == 400
    )


def test_telegram_refuses_forged_and_malformed_updates(relay: Relay) -> None:
    path = "/webhooks/relay_telegram/webhook"
    good = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
    update = message_update("hello", user={"id": 5550301, "is_bot": False, "first_name": "Ann"})
    assert raw(relay, path, as_json(update), headers={})[0] == 403
    assert (
        raw(relay, path, as_json(update), headers={"X-Telegram-Bot-Api-Secret-Token": "guess"})[0]
        == 403
    )
    assert raw(relay, path, as_json(update), "text/plain", headers=good)[0] == 415
    assert raw(relay, path, b"{oops", headers=good)[0] == 400
    assert raw(relay, path, as_json({"no": "update_id"}), headers=good)[0] == 400
    assert raw(relay, path, as_json(update), headers=good)[1] == {"status": "ok"}
    assert raw(relay, path, as_json(update), headers=good)[1] == {"status": "duplicate"}  # replayed


def test_the_console_api_refuses_bad_input_clearly(relay: Relay) -> None:
    login = "/console/api/v1/login"
    assert raw(relay, login, b"{oops")[0] == 400  # malformed JSON: Sanic says so
    for body in (
        b"[]",
        as_json({"username": "alice"}),
        as_json({"username": "x" * 500, "password": "y" * 5000}),
    ):
        assert raw(relay, login, body)[0] == 401
    status, signed = raw(
        relay, login, as_json({"username": "alice", "password": "alice-secret-pw"})
    )
    assert status == 200
    auth = {"Authorization": f"Bearer {signed['token']}"}
    api = "/console/api/v1"
    assert (
        raw(relay, f"{api}/tickets/999999", method="GET", headers=auth, content_type=None)[0] == 404
    )
    assert raw(relay, f"{api}/tickets/abc", method="GET", headers=auth, content_type=None)[0] == 404
    assert (
        raw(relay, f"{api}/tickets?status=%00", method="GET", headers=auth, content_type=None)[0]
        == 400
    )
    assert raw(relay, f"{api}/tickets/999999/reply", as_json({"text": ""}), headers=auth)[0] == 400
    assert (
        raw(relay, f"{api}/tickets/999999/reply", as_json({"text": "x" * 5000}), headers=auth)[0]
        == 413
    )
    assert raw(relay, f"{api}/tickets/999999/reply", b"{oops", headers=auth)[0] == 400
    assert (
        raw(
            relay,
            f"{api}/me",
            method="GET",
            headers={"Authorization": "Bearer x" * 50},
            content_type=None,
        )[0]
        == 401
    )


def test_the_action_server_answers_only_the_rasa_server(relay: Relay) -> None:
    port = relay.ports.actions
    call = as_json({"next_action": "action_greet", "sender_id": "x", "tracker": {}})
    assert raw(relay, "/webhook", call, port=port)[0] == 401
    assert (
        raw(relay, "/webhook", call, headers={"Authorization": "Bearer guess"}, port=port)[0] == 401
    )
    token = relay.env["RELAY_ACTION_TOKEN"]
    status, _ = raw(
        relay, "/webhook", b"{oops", headers={"Authorization": f"Bearer {token}"}, port=port
    )
    assert 400 <= status < 500
    assert raw(relay, "/health", method="GET", content_type=None, port=port)[0] == 200
