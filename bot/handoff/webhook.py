"""Outgoing webhook: POSTs ticket events to an external helpdesk, signed with HMAC-SHA256.

The body is `{"delivery": "<id>", "event": "ticket.created", "ticket": {...}}`, where
the ticket holds only the fields RELAY_WEBHOOK_FIELDS allows (`webhook_fields.py`).
Every attempt carries a fresh `X-Relay-Timestamp` (Unix seconds) and
`X-Relay-Signature: sha256=<hex>`, the HMAC of `<timestamp>.<body>` with the secret.

Receivers: recompute the signature over the raw body and compare it in constant time,
and refuse a timestamp more than five minutes from your clock, so a recorded request
can't be replayed later. `verify()` does both:

    if not verify(secret, headers["X-Relay-Timestamp"], raw_body, headers["X-Relay-Signature"]):
        return 401

Delivery is at least once (a retry can repeat a request that arrived but whose answer
was lost): skip a `delivery` id you have already handled. Answer 2xx once you have the
event; anything else, a redirect included, is retried.

Sending never waits for the helpdesk or breaks a conversation: `send()` stores the
delivery in the ticket database (`deliveries.py`; one short INSERT in the caller's
thread) and wakes this process's worker thread, which POSTs due deliveries and retries
failed ones with exponential backoff. A delivery pending when a process stops is sent by
the next `Webhook` made on that database (each process makes its own on first use), or
by the other process's worker, which looks for such rows every `poll_seconds`.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.handoff.deliveries import Deliveries, Delivery, Retry
from bot.handoff.tickets import utcnow
from bot.handoff.webhook_fields import DEFAULT_FIELDS, pick

logger = logging.getLogger(__name__)

TOLERANCE_SECONDS = 300
NO_SECRET = "RELAY_WEBHOOK_URL is set without RELAY_WEBHOOK_SECRET"
NOT_HTTP = "RELAY_WEBHOOK_URL must be an http:// or https:// URL"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify(
    secret: str,
    timestamp: str | None,
    body: bytes,
    header: str | None,
    now: float | None = None,
    tolerance: float = TOLERANCE_SECONDS,
) -> bool:
    """What a receiver does: checks a request's freshness and signature.

    Args:
        secret: The shared RELAY_WEBHOOK_SECRET.
        timestamp: The `X-Relay-Timestamp` header (Unix seconds, digits only).
        body: The raw request body, exactly as received.
        header: The `X-Relay-Signature` header.
        now: The receiver's clock (defaults to `time.time()`).
        tolerance: How many seconds the timestamp may be off, either way.

    Returns:
        True only for a timestamp within `tolerance` of `now` and a matching signature
        (compared in constant time).
    """
    if not timestamp or not (timestamp.isascii() and timestamp.isdigit()):
        return False
    current = time.time() if now is None else now
    fresh = abs(current - int(timestamp)) <= tolerance
    expected = signature(secret, timestamp, body).encode()
    return hmac.compare_digest(expected, (header or "").encode()) and fresh


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is a failed delivery, not a reason to send the request elsewhere."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Webhook:
    """Sends ticket events to `url` through the `engine`'s database, or nothing without a URL.

    Args:
        engine: The ticket database, shared by every process.
        url: RELAY_WEBHOOK_URL; None or empty turns the webhook off (nothing is stored).
        secret: RELAY_WEBHOOK_SECRET, required with a URL.
        fields: The ticket fields a body may hold (see `webhook_fields.py`).
        retry: Timeouts, backoff and attempts (`Retry()`'s defaults when None).
        clock: Current naive UTC time, for the rows and the signatures' timestamps.

    Raises:
        ValueError: A URL without a secret, or one that is not http(s).
    """

    def __init__(
        self,
        engine: Engine,
        url: str | None,
        secret: str | None,
        fields: tuple[str, ...] = DEFAULT_FIELDS,
        retry: Retry | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        if url and not secret:
            raise ValueError(NO_SECRET)
        if url and not url.startswith(("http://", "https://")):
            raise ValueError(NOT_HTTP)
        self.url, self._secret, self._fields = url or None, secret, fields
        self._retry, self._clock = retry or Retry(), clock
        self._opener = urllib.request.build_opener(_NoRedirects)
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self._deliveries: Deliveries | None = None
        if self.url:
            self._deliveries = Deliveries(engine, clock)
            if self._deliveries.pending():  # left by a process that stopped, or the other one
                self._start()

    def send(self, event: str, ticket: Mapping[str, Any]) -> int | None:
        """Stores the event for delivery and wakes the worker; returns the delivery's row id.

        Runs in the caller's thread, also from async handlers: it is one short INSERT
        (under SQLite it can wait for another writer, up to the driver's busy timeout),
        the POST happens in the worker. A database error is logged, never raised: the
        conversation goes on without this event.
        """
        if not self.url or self._deliveries is None:
            return None
        body = json.dumps(
            {"delivery": uuid.uuid4().hex, "event": event, "ticket": pick(ticket, self._fields)}
        )
        try:
            delivery_id = self._deliveries.add(event, body)
        except SQLAlchemyError:
            logger.exception("could not store webhook %s of ticket %s", event, ticket.get("id"))
            return None
        self._start()
        self._wake.set()
        return delivery_id

    def close(self) -> None:
        """Stops this object's worker; what is pending stays in the database for the next.

        Until then the worker keeps the object alive, even when nothing refers to it.
        """
        self._stopping.set()
        self._wake.set()
        worker = self._worker
        if worker is not None:
            worker.join(timeout=self._retry.timeout_seconds + 5)

    # The worker

    def _start(self) -> None:
        with self._lock:
            if self._worker is None and not self._stopping.is_set():
                self._worker = threading.Thread(target=self._run, name="relay-webhook", daemon=True)
                self._worker.start()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                if self._send_due():
                    continue  # there may be more
                wait = self._idle_seconds()
            except Exception:  # a dead worker would strand every later delivery: keep going
                logger.exception("webhook worker failed; trying again in a while")
                wait = self._retry.poll_seconds
            self._wake.wait(max(wait, 0.01))  # until the next is due, a send, or a poll
            self._wake.clear()

    def _send_due(self) -> bool:
        """Claims and sends the due deliveries; False when there were none."""
        assert self._deliveries is not None
        due = self._deliveries.due()
        for delivery_id in due:
            if self._stopping.is_set():
                break
            claimed = self._deliveries.claim(delivery_id, self._retry.lease_seconds)
            if claimed is not None:
                self._attempt(claimed)
        return bool(due)

    def _idle_seconds(self) -> float:
        assert self._deliveries is not None
        due_at: datetime | None = self._deliveries.next_due_at()
        if due_at is None:
            return self._retry.poll_seconds
        return min(self._retry.poll_seconds, max((due_at - self._clock()).total_seconds(), 0.0))

    def _attempt(self, delivery: Delivery) -> None:
        assert self._deliveries is not None
        error = self._post(delivery.body.encode())
        if error is None:
            self._deliveries.delivered(delivery.id)
            return
        if delivery.attempts >= self._retry.max_attempts:
            if self._deliveries.give_up(delivery.id, error):
                logger.error(
                    "webhook gave up on %s (delivery %d) after %d attempts: %s",
                    delivery.event,
                    delivery.id,
                    delivery.attempts,
                    error,
                )
            return
        delay = self._retry.backoff(delivery.attempts)
        self._deliveries.retry_later(delivery.id, error, delay)
        logger.warning(
            "webhook attempt %d of %s (delivery %d) failed: %s; next in %.3g s",
            delivery.attempts,
            delivery.event,
            delivery.id,
            error,
            delay,
        )

    def _post(self, body: bytes) -> str | None:
        """POSTs with a fresh timestamp and signature; None on a 2xx, else what went wrong."""
        assert self.url and self._secret
        timestamp = str(int(self._clock().replace(tzinfo=timezone.utc).timestamp()))
        request = urllib.request.Request(self.url, data=body, method="POST")
        request.add_header("Content-Type", "application/json")
        request.add_header("X-Relay-Timestamp", timestamp)
        request.add_header("X-Relay-Signature", signature(self._secret, timestamp, body))
        try:
            with self._opener.open(request, timeout=self._retry.timeout_seconds) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            error.close()
            return f"HTTP {error.code}"
        except (OSError, http.client.HTTPException) as error:
            return f"{type(error).__name__}: {error}"
        return None if 200 <= status < 300 else f"HTTP {status}"
