"""bot/handoff/webhook.py: signed POSTs of ticket events, stored until a helpdesk has them.

Against a real HTTP server on loopback (tests/support/helpdesk.py) and real SQLite.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import socket
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from bot.handoff.deliveries import Deliveries, Retry
from bot.handoff.models import WebhookDelivery
from bot.handoff.tickets import utcnow
from bot.handoff.webhook import Webhook, signature, verify
from bot.handoff.webhook_fields import parse_fields
from bot.shop.repository import make_engine
from tests.support.helpdesk import Helpdesk, Received, free_port

SECRET = "shared-webhook-secret"
NOW = 1795518000
TICKET: dict[str, Any] = {
    "id": 7,
    "conversation_id": "telegram-123456789",
    "channel": "telegram",
    "customer": {"id": 1, "name": "Maya", "email": "maya.patel@example.com"},
    "reason_code": "request_human",
    "explanation": "Maya wants a person",
    "priority": 2,
    "priority_label": "high",
    "status": "waiting",
    "assignee": None,
    "csat": None,
    "transcript": [{"speaker": "customer", "text": "my card details are 4111..."}],
}
FAST = Retry(
    timeout_seconds=2,
    max_attempts=5,
    first_backoff_seconds=0.02,
    max_backoff_seconds=0.1,
    lease_seconds=5,
    poll_seconds=0.05,
)


def wait_until(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def checks_out(request: Received, now: float | None = None) -> bool:
    headers = request.headers
    return verify(
        SECRET, headers["x-relay-timestamp"], request.body, headers["x-relay-signature"], now
    )


# --- Signature and replay window ---


def test_signature_is_the_hmac_of_timestamp_dot_body() -> None:
    body = b'{"event": "ticket.created"}'
    expected = hmac.new(SECRET.encode(), b"1795518000." + body, hashlib.sha256).hexdigest()
    assert signature(SECRET, "1795518000", body) == "sha256=" + expected


def test_verify_accepts_only_the_matching_signature() -> None:
    body = b'{"event": "ticket.created"}'
    header = signature(SECRET, str(NOW), body)
    assert verify(SECRET, str(NOW), body, header, now=NOW)
    assert not verify("another-secret", str(NOW), body, header, now=NOW)
    assert not verify(SECRET, str(NOW + 1), body, header, now=NOW)
    assert not verify(SECRET, str(NOW), body + b" ", header, now=NOW)
    assert not verify(SECRET, str(NOW), body, "", now=NOW)
    assert not verify(SECRET, str(NOW), body, None, now=NOW)


def test_verify_refuses_a_timestamp_outside_five_minutes() -> None:
    body = b"{}"

    def signed_at(moment: int, now: float, **options: Any) -> bool:
        stamp = str(moment)
        return verify(SECRET, stamp, body, signature(SECRET, stamp, body), now=now, **options)

    assert signed_at(NOW, now=NOW + 300)
    assert signed_at(NOW, now=NOW - 300)
    assert not signed_at(NOW, now=NOW + 301)  # a replay of an old request
    assert not signed_at(NOW, now=NOW - 301)  # from the future
    assert not signed_at(NOW, now=NOW + 61, tolerance=60)
    assert signed_at(NOW, now=NOW + 60, tolerance=60)
    stamp = str(int(time.time()))
    assert verify(SECRET, stamp, body, signature(SECRET, stamp, body))  # the real clock
    assert not verify(SECRET, str(NOW - 3600), body, signature(SECRET, str(NOW - 3600), body))


@pytest.mark.parametrize(
    "stamp", ["", None, "soon", "1795518000.5", "-1795518000", " 1795518000", "+1795518000", "١٧"]
)
def test_verify_refuses_a_timestamp_that_is_not_digits(stamp: str | None) -> None:
    body = b"{}"
    header = signature(SECRET, stamp or "", body)
    assert not verify(SECRET, stamp, body, header, now=NOW)


# --- Configuration ---


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for proxy in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(proxy, raising=False)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'tickets.db'}"


@pytest.fixture
def engines(db_url: str) -> Iterator[Callable[[], Engine]]:
    """Engines on one database, as each process makes its own."""
    made: list[Engine] = []

    def make() -> Engine:
        made.append(make_engine(db_url))
        return made[-1]

    yield make
    for engine in made:
        engine.dispose()


@pytest.fixture
def webhooks(engines: Callable[[], Engine]) -> Iterator[Callable[..., Webhook]]:
    """Makes webhooks (each with its own engine, like a process) and stops them afterwards."""
    made: list[Webhook] = []

    def make(url: str, **options: Any) -> Webhook:
        options.setdefault("retry", FAST)
        made.append(Webhook(engines(), url, SECRET, **options))
        return made[-1]

    yield make
    for webhook in made:
        webhook.close()


@pytest.fixture
def helpdesk() -> Iterator[Helpdesk]:
    running = Helpdesk()
    yield running
    running.stop()


@pytest.fixture
def rows(engines: Callable[[], Engine]) -> Deliveries:
    """The deliveries table, as a test looks at it."""
    return Deliveries(engines())


def delivered(rows: Deliveries, delivery_id: int | None) -> bool:
    assert delivery_id is not None
    row = rows.get(delivery_id)
    return row is not None and row.delivered_at is not None


def tried(rows: Deliveries, delivery_id: int | None) -> bool:
    """At least one attempt failed."""
    assert delivery_id is not None
    row = rows.get(delivery_id)
    return row is not None and row.last_error is not None


def test_without_a_url_nothing_is_stored_or_sent(engines: Callable[[], Engine]) -> None:
    engine = engines()
    assert Webhook(engine, None, None).send("ticket.created", TICKET) is None
    assert Webhook(engine, "", "ignored").send("ticket.created", TICKET) is None
    assert WebhookDelivery.__tablename__ not in inspect(engine).get_table_names()


def test_a_url_without_a_secret_is_refused(engines: Callable[[], Engine]) -> None:
    with pytest.raises(ValueError, match="RELAY_WEBHOOK_SECRET"):
        Webhook(engines(), "http://127.0.0.1:9/hook", None)


def test_only_http_urls_are_taken(engines: Callable[[], Engine]) -> None:
    with pytest.raises(ValueError, match="http"):
        Webhook(engines(), "file:///etc/passwd", SECRET)


# --- Delivering ---


def test_the_helpdesk_gets_a_signed_post_of_the_allowed_fields(
    webhooks: Callable[..., Webhook], helpdesk: Helpdesk, rows: Deliveries
) -> None:
    delivery_id = webhooks(f"{helpdesk.url}/relay/hook").send("ticket.created", TICKET)
    [request] = helpdesk.wait_for(1)
    assert request.path == "/relay/hook"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-relay-timestamp"].isdigit()
    assert abs(int(request.headers["x-relay-timestamp"]) - time.time()) < 5
    assert checks_out(request)
    assert not verify(
        "wrong-secret",
        request.headers["x-relay-timestamp"],
        request.body,
        request.headers["x-relay-signature"],
    )

    payload = request.payload
    assert set(payload) == {"delivery", "event", "ticket"}
    assert len(payload["delivery"]) == 32  # an id to skip a repeated delivery by
    assert payload["event"] == "ticket.created"
    assert payload["ticket"] == {
        "id": 7,
        "channel": "telegram",
        "reason_code": "request_human",
        "priority": 2,
        "priority_label": "high",
        "status": "waiting",
        "assignee": None,
        "csat": None,
    }
    for personal in ("Maya", "maya.patel", "telegram-123456789", "4111"):
        assert personal not in request.body.decode()

    assert wait_until(lambda: delivered(rows, delivery_id))
    row = rows.get(delivery_id or 0)
    assert row is not None
    assert (row.attempts, row.locked_until, row.last_error) == (1, None, None)
    assert row.body.encode() == request.body  # what is stored is what was allowed


def test_the_configured_fields_are_sent(
    webhooks: Callable[..., Webhook], helpdesk: Helpdesk
) -> None:
    fields = parse_fields("customer.email,transcript")
    webhooks(helpdesk.url, fields=fields).send("ticket.created", TICKET)
    [request] = helpdesk.wait_for(1)
    assert request.payload["ticket"] == {
        "id": 7,
        "customer": {"email": "maya.patel@example.com"},
        "transcript": TICKET["transcript"],
    }


def test_a_failure_is_retried_until_the_helpdesk_takes_it(
    webhooks: Callable[..., Webhook], helpdesk: Helpdesk, rows: Deliveries
) -> None:
    helpdesk.answers = [503, 302, 500]  # a redirect is not followed: it is a failure too
    delivery_id = webhooks(helpdesk.url).send("ticket.claimed", TICKET)
    assert wait_until(lambda: delivered(rows, delivery_id))
    received = helpdesk.received
    assert len(received) == 4
    assert all(checks_out(request) for request in received)
    assert len({request.body for request in received}) == 1  # the same delivery each time
    row = rows.get(delivery_id or 0)
    assert row is not None
    assert (row.attempts, row.last_error, row.failed_at) == (4, "HTTP 500", None)


class MovableClock:
    """The real clock, which a test can move forward."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return utcnow() + self.offset


def test_each_attempt_is_signed_afresh(
    webhooks: Callable[..., Webhook], helpdesk: Helpdesk, rows: Deliveries
) -> None:
    clock = MovableClock()
    helpdesk.answers = [503]
    slow = Retry(first_backoff_seconds=600, poll_seconds=0.05, timeout_seconds=2)
    delivery_id = webhooks(helpdesk.url, retry=slow, clock=clock).send("ticket.created", TICKET)
    assert wait_until(lambda: tried(rows, delivery_id))  # the retry is due in 10 minutes
    clock.offset = timedelta(hours=1)  # the retry is an hour later
    first, second = helpdesk.wait_for(2)
    stamps = [int(request.headers["x-relay-timestamp"]) for request in (first, second)]
    assert 3590 <= stamps[1] - stamps[0] <= 3610
    assert first.headers["x-relay-signature"] != second.headers["x-relay-signature"]
    assert checks_out(first, now=stamps[0]) and checks_out(second, now=stamps[1])
    assert not checks_out(first, now=stamps[1])  # replayed an hour later: refused


def test_after_the_last_attempt_a_delivery_fails_with_one_error(
    webhooks: Callable[..., Webhook],
    helpdesk: Helpdesk,
    rows: Deliveries,
    caplog: pytest.LogCaptureFixture,
) -> None:
    helpdesk.answers = [500] * 10
    retry = Retry(
        max_attempts=3, first_backoff_seconds=0.01, max_backoff_seconds=0.02, poll_seconds=0.05
    )
    with caplog.at_level(logging.WARNING, logger="bot.handoff.webhook"):
        delivery_id = webhooks(helpdesk.url, retry=retry).send("ticket.resolved", TICKET)
        assert delivery_id is not None

        def failed() -> bool:
            row = rows.get(delivery_id)
            return row is not None and row.failed_at is not None

        assert wait_until(failed)
        time.sleep(0.2)  # several polls: nothing more is sent
    assert len(helpdesk.received) == 3
    row = rows.get(delivery_id)
    assert row is not None
    assert (row.attempts, row.delivered_at, row.locked_until, row.last_error) == (
        3,
        None,
        None,
        "HTTP 500",
    )
    errors = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "gave up on ticket.resolved" in errors[0].getMessage()
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 2


def test_a_slow_helpdesk_is_a_timeout_and_retried(
    webhooks: Callable[..., Webhook], rows: Deliveries
) -> None:
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/hook"
        retry = Retry(timeout_seconds=0.2, first_backoff_seconds=60, poll_seconds=0.05)
        delivery_id = webhooks(url, retry=retry).send("ticket.created", TICKET)
        assert wait_until(lambda: tried(rows, delivery_id), seconds=5)
    row = rows.get(delivery_id or 0)
    assert row is not None and row.last_error is not None
    assert (row.attempts, row.delivered_at) == (1, None)
    assert "timed out" in row.last_error


# --- Surviving restarts and sharing the work ---


def test_a_delivery_pending_at_a_restart_is_sent_exactly_once(
    webhooks: Callable[..., Webhook], rows: Deliveries
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    patient = Retry(
        max_attempts=100, first_backoff_seconds=0.02, max_backoff_seconds=0.05, poll_seconds=0.05
    )
    before = webhooks(url, retry=patient)
    delivery_id = before.send("ticket.created", TICKET)
    assert delivery_id is not None
    assert wait_until(lambda: tried(rows, delivery_id))
    before.close()  # the process stops with the helpdesk still down
    assert not delivered(rows, delivery_id)

    webhooks(url, retry=patient)  # the next process: its worker starts with a row pending
    helpdesk = Helpdesk(port=port)
    try:
        assert wait_until(lambda: delivered(rows, delivery_id))
        time.sleep(0.3)  # several polls more: no second copy
        [request] = helpdesk.received
        assert request.payload["event"] == "ticket.created"
        assert checks_out(request)
    finally:
        helpdesk.stop()


def test_a_delivery_whose_sender_died_mid_post_is_sent_when_its_lease_ends(
    webhooks: Callable[..., Webhook], helpdesk: Helpdesk, rows: Deliveries
) -> None:
    delivery_id = rows.add("ticket.created", '{"event": "ticket.created"}')
    assert rows.claim(delivery_id, lease_seconds=0.5) is not None  # then the process died
    started = time.monotonic()
    webhooks(helpdesk.url)
    [request] = helpdesk.wait_for(1)
    assert time.monotonic() - started >= 0.3
    assert request.body == b'{"event": "ticket.created"}'
    assert wait_until(lambda: delivered(rows, delivery_id))
    row = rows.get(delivery_id)
    assert row is not None and row.attempts == 2


def test_two_processes_on_one_database_deliver_each_event_once(
    webhooks: Callable[..., Webhook], helpdesk: Helpdesk, rows: Deliveries
) -> None:
    first, second = webhooks(helpdesk.url), webhooks(helpdesk.url)
    sent = []
    for number in range(20):
        sender = first if number % 2 else second
        sent.append(sender.send("ticket.created", {**TICKET, "id": number}))
    # Rows neither process was woken for: both workers find them polling, and race.
    sent += [rows.add("ticket.csat", f'{{"ticket": {{"id": {n}}}}}') for n in range(20, 40)]
    assert wait_until(lambda: all(delivered(rows, delivery_id) for delivery_id in sent))
    time.sleep(0.3)  # several polls more: no second copies
    received = helpdesk.received
    assert len(received) == 40
    assert sorted(request.payload["ticket"]["id"] for request in received) == list(range(40))


def test_a_database_error_is_logged_and_the_conversation_goes_on(
    webhooks: Callable[..., Webhook],
    engines: Callable[[], Engine],
    caplog: pytest.LogCaptureFixture,
) -> None:
    webhook = webhooks("http://127.0.0.1:9/hook")
    WebhookDelivery.__table__.drop(engines())
    with caplog.at_level(logging.ERROR, logger="bot.handoff.webhook"):
        assert webhook.send("ticket.created", TICKET) is None
    assert "could not store webhook ticket.created of ticket 7" in caplog.text
