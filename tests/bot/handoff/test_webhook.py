"""bot/handoff/webhook.py: signed POSTs of ticket events to an external helpdesk."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from bot.handoff.webhook import Webhook, signature, verify

SECRET = "shared-webhook-secret"
TICKET = {
    "id": 7,
    "status": "waiting",
    "reason_code": "request_human",
    "customer": {"id": 1, "name": "Maya", "email": "maya.patel@example.com"},
    "transcript": [{"speaker": "customer", "text": "my card details are 4111..."}],
}


# --- Signature ---


def test_signature_is_the_hmac_of_timestamp_dot_body():
    body = b'{"event": "ticket.created"}'
    expected = hmac.new(SECRET.encode(), b"1795518000." + body, hashlib.sha256).hexdigest()
    assert signature(SECRET, "1795518000", body) == "sha256=" + expected


def test_verify_accepts_only_the_matching_signature():
    body = b'{"event": "ticket.created"}'
    header = signature(SECRET, "1795518000", body)
    assert verify(SECRET, "1795518000", body, header)
    assert not verify("another-secret", "1795518000", body, header)
    assert not verify(SECRET, "1795518001", body, header)
    assert not verify(SECRET, "1795518000", body + b" ", header)
    assert not verify(SECRET, "1795518000", body, "")
    assert not verify(SECRET, "1795518000", body, None)


# --- Sending ---


def test_without_a_url_nothing_is_sent():
    assert Webhook(None, None).send("ticket.created", TICKET) is None
    assert Webhook("", "ignored").send("ticket.created", TICKET) is None


def test_a_url_without_a_secret_is_refused():
    with pytest.raises(ValueError, match="RELAY_WEBHOOK_SECRET"):
        Webhook("http://127.0.0.1:9/hook", None)


@pytest.fixture
def receiver(monkeypatch):
    """A local helpdesk that records the requests it gets."""
    for proxy in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(proxy, raising=False)
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            length = int(self.headers["Content-Length"])
            received.append(
                {"path": self.path, "headers": dict(self.headers), "body": self.rfile.read(length)}
            )
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", received
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_the_receiver_gets_a_signed_post_without_the_transcript(receiver):
    base, received = receiver
    sent = Webhook(f"{base}/relay/hook", SECRET).send("ticket.created", TICKET)
    assert sent is not None
    sent.join(timeout=10)
    assert not sent.is_alive()

    [request] = received
    assert request["path"] == "/relay/hook"
    headers = {key.lower(): value for key, value in request["headers"].items()}
    assert headers["content-type"] == "application/json"
    timestamp, body = headers["x-relay-timestamp"], request["body"]
    assert timestamp.isdigit()
    assert verify(SECRET, timestamp, body, headers["x-relay-signature"])
    assert not verify("wrong-secret", timestamp, body, headers["x-relay-signature"])

    payload = json.loads(body)
    assert payload["event"] == "ticket.created"
    assert "transcript" not in payload["ticket"]
    assert payload["ticket"] == {key: value for key, value in TICKET.items() if key != "transcript"}
    assert "4111" not in body.decode()
    assert "transcript" in TICKET
