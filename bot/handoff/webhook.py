"""Outgoing webhook: POSTs ticket events to an external helpdesk, signed with HMAC-SHA256.

Each request carries `X-Relay-Timestamp` and `X-Relay-Signature: sha256=<hex>`,
the HMAC of `<timestamp>.<body>` with the shared secret, so the receiver can
check both origin and freshness. Delivery runs in a background thread with a
few retries and never blocks or breaks a conversation.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
import urllib.request
from typing import Any

logger = logging.getLogger(__name__)

ATTEMPTS = 3
TIMEOUT_SECONDS = 5


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, header: str) -> bool:
    """What a receiver does: constant-time comparison of the signature header."""
    return hmac.compare_digest(signature(secret, timestamp, body).encode(), (header or "").encode())


class Webhook:
    """Sends `{"event": ..., "ticket": ...}` to `url`, or does nothing without a URL."""

    def __init__(self, url: str | None, secret: str | None) -> None:
        if url and not secret:
            raise ValueError("RELAY_WEBHOOK_URL is set without RELAY_WEBHOOK_SECRET")
        self.url, self._secret = url, secret

    def _post(self, body: bytes) -> None:
        assert self.url and self._secret
        for attempt in range(ATTEMPTS):
            timestamp = str(int(time.time()))
            request = urllib.request.Request(self.url, data=body, method="POST")
            request.add_header("Content-Type", "application/json")
            request.add_header("X-Relay-Timestamp", timestamp)
            request.add_header("X-Relay-Signature", signature(self._secret, timestamp, body))
            try:
                with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS):
                    return
            except OSError as error:
                logger.warning("ticket webhook attempt %d failed: %s", attempt + 1, error)
                time.sleep(2**attempt)
        logger.error("ticket webhook gave up after %d attempts", ATTEMPTS)

    def send(self, event: str, ticket: dict[str, Any]) -> threading.Thread | None:
        if not self.url:
            return None
        summary = {key: value for key, value in ticket.items() if key != "transcript"}
        body = json.dumps({"event": event, "ticket": summary}).encode()
        thread = threading.Thread(target=self._post, args=(body,), daemon=True)
        thread.start()
        return thread
