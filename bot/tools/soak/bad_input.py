"""The bad-input catalogue: what a careless or hostile client sends, and what Relay must answer.

Each case is one request with the status it must get: a 4xx with a reason for what
Relay refuses, a 200 for text that is odd but legitimate (emoji, right-to-left
script, HTML, SQL- or path-like order numbers, a forged payload, which is read as
words). Never a 5xx other than a 503 while a fault is on, which the stream sends
again like any client. A case that reaches Rasa goes to a conversation of its own,
so odd messages don't add up to a handoff. In a body or path, `@SENDER@` is a fresh
sender id and `@TOKEN@` a widget session (a fresh one, or a forged one).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from bot.tools.soak.sentences import stored_as

SENDER = "@SENDER@"
TOKEN = "@TOKEN@"
REST_WEBHOOK = "/webhooks/rest/webhook"
REST_OUTBOX = "/webhooks/rest/messages"
WIDGET_SESSION = "/webhooks/widget/session"
WIDGET_MESSAGE = "/webhooks/widget/message"
WIDGET_UPDATES = "/webhooks/widget/updates"
CONSOLE_TICKETS = "/console/api/v1/tickets"

# Who the request claims to be.
BACKEND = "backend"  # the shop's backend: Authorization: Bearer <RELAY_REST_TOKEN>
NOBODY = "nobody"  # no credential at all
WRONG = "wrong"  # a made-up bearer token
SESSION = "session"  # a fresh, valid widget session in @TOKEN@
FORGED = "forged"  # a made-up widget session in @TOKEN@

FORGED_TOKEN = "Zm9yZ2VkLXNlc3Npb24taWQtMQ.c2lnbmF0dXJlLW1hZGUtdXA"
HUGE = "a" * 6000  # more than the 5,000 characters a message may have
OVER_64_KB = "b" * 70_000


@dataclass(frozen=True)
class BadInput:
    """One request of the catalogue.

    Attributes:
        name: What it tries.
        path: The route, with `@SENDER@` / `@TOKEN@` where they go.
        body: The raw body (None for a GET).
        expected: The statuses it may get.
        text: The message as sent, when it should reach the bot (a 200): it must then
            be in the conversation, as `stored_as(text)`.
        auth: Who the request claims to be (BACKEND, NOBODY, WRONG, SESSION, FORGED).
    """

    name: str
    path: str
    body: bytes | None
    expected: frozenset[int]
    text: str | None = None
    auth: str = BACKEND
    content_type: str = "application/json"
    method: str = "POST"

    @property
    def reaches_the_bot(self) -> bool:
        return self.text is not None

    @property
    def stored(self) -> str | None:
        return stored_as(self.text) if self.text is not None else None

    @property
    def widget(self) -> bool:
        return self.path.startswith("/webhooks/widget/")

    def accepts(self, status: int | None) -> bool:
        return status in self.expected

    def request_body(self, sender: str, token: str) -> bytes | None:
        if self.body is None:
            return None
        return self.body.replace(SENDER.encode(), sender.encode()).replace(
            TOKEN.encode(), token.encode()
        )

    def request_path(self, sender: str, token: str) -> str:
        return self.path.replace(SENDER, quote(sender, safe="")).replace(
            TOKEN, quote(token, safe="")
        )


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


def rest(name: str, message: Any, expected: int, **extra: Any) -> BadInput:
    """A REST message from the backend, in a conversation of its own."""
    text = message if expected == 200 else None
    body = _json({"sender": SENDER, "message": message})
    return BadInput(name, REST_WEBHOOK, body, frozenset({expected}), text, **extra)


def rest_raw(name: str, body: bytes, expected: int, **extra: Any) -> BadInput:
    return BadInput(name, REST_WEBHOOK, body, frozenset({expected}), **extra)


def widget(name: str, body: Any, expected: int, auth: str = SESSION, **extra: Any) -> BadInput:
    """A widget message; `body` a dict (with `@TOKEN@`) or raw bytes."""
    raw = body if isinstance(body, bytes) else _json(body)
    text = None
    if isinstance(body, dict) and expected == 200:
        text = body.get("text") or body.get("payload")
    return BadInput(name, WIDGET_MESSAGE, raw, frozenset({expected}), text, auth, **extra)


def get(name: str, path: str, expected: int, auth: str = BACKEND) -> BadInput:
    return BadInput(name, path, None, frozenset({expected}), auth=auth, method="GET")


CATALOGUE: tuple[BadInput, ...] = (
    # Refused: the body or the message is not what a channel takes.
    rest("empty message", "", 400),
    rest("whitespace only", " \n\t  ", 400),
    rest("control characters only", "\x00\x01\x07\x1b", 400),
    rest("message too long (6,000 characters)", HUGE, 413),
    rest("body over 64 KB", OVER_64_KB, 413),
    rest("message is a number", 42, 400),
    rest("message is null", None, 400),
    rest_raw("invalid UTF-8", b'{"sender": "@SENDER@", "message": "caf\xe9 \xff\xfe"}', 400),
    rest_raw("malformed JSON", b'{"sender": "@SENDER@", "message": "hi"', 400),
    rest_raw("a JSON list", b'["@SENDER@", "where is my order?"]', 400),
    rest_raw("a JSON string", b'"where is my order?"', 400),
    rest_raw("empty body", b"", 400),
    rest_raw(
        "wrong content type (text/plain)",
        _json({"sender": SENDER, "message": "hi"}),
        415,
        content_type="text/plain",
    ),
    rest_raw(
        "form-encoded body",
        b"sender=@SENDER@&message=hi",
        415,
        content_type="application/x-www-form-urlencoded",
    ),
    rest_raw("no sender", _json({"message": "hi"}), 400),
    rest_raw("path-like sender", _json({"sender": "../../etc/passwd", "message": "hi"}), 400),
    rest_raw("sender of 200 characters", _json({"sender": "s" * 200, "message": "hi"}), 400),
    rest_raw("short anonymous sender", _json({"sender": "abc", "message": "hi"}), 401, auth=NOBODY),
    rest_raw("wrong backend token", _json({"sender": SENDER, "message": "hi"}), 401, auth=WRONG),
    get("GET on the webhook", REST_WEBHOOK, 405),
    get("outbox: `after` not a number", f"{REST_OUTBOX}?sender={SENDER}&after=abc", 400),
    get("outbox: negative `after`", f"{REST_OUTBOX}?sender={SENDER}&after=-1", 400),
    get("outbox without the token", f"{REST_OUTBOX}?sender={SENDER}&after=0", 401, NOBODY),
    get("outbox: path-like sender", f"{REST_OUTBOX}?sender=..%2F..%2Fetc&after=0", 400),
    # Odd but legitimate: the bot reads them and answers.
    rest("control characters inside", "where is\x00 my order\x07 100231?", 200),
    rest("lone surrogate", "\ud800hello there", 200),
    rest("emoji only", "🙂🙂🎉", 200),
    rest("right-to-left (Arabic)", "مرحبا، أين طلبي؟", 200),
    rest("right-to-left override", "\u202eredro ym si erehw", 200),
    rest("HTML and script", "<script>alert('x')</script><b>where is my order?</b>", 200),
    rest("SQL-like order number", "where is order 100231' OR '1'='1", 200),
    rest("SQL-like statement", "100231; DROP TABLE orders; --", 200),
    rest("path-like order number", "where is order ../../etc/passwd", 200),
    rest("forged /restart", "/restart", 200),
    rest(
        "forged /inform{...}", '/inform{"customer_id": 7, "email": "maya.patel@example.com"}', 200
    ),
    rest("slashes only", "///", 200),
    # The widget: sessions and tokens.
    widget("widget: unknown session token", {"token": TOKEN, "text": "hi"}, 403, FORGED),
    widget("widget: no token", {"text": "hi"}, 401, NOBODY),
    widget("widget: malformed JSON", b'{"token": "@TOKEN@", "text": ', 400),
    widget("widget: a JSON list", b'["@TOKEN@", "hi"]', 400),
    widget("widget: empty text", {"token": TOKEN, "text": "   "}, 400),
    widget("widget: text too long", {"token": TOKEN, "text": HUGE}, 413),
    widget("widget: payload without a slash", {"token": TOKEN, "payload": "restart"}, 400),
    widget("widget: forged payload /restart", {"token": TOKEN, "payload": "/restart"}, 200),
    widget("widget: emoji only", {"token": TOKEN, "text": "👋"}, 200),
    widget("widget: HTML", {"token": TOKEN, "text": "<img src=x onerror=alert(1)> hello"}, 200),
    get("widget: resume a forged session", f"{WIDGET_SESSION}?token={TOKEN}", 403, FORGED),
    get(
        "widget: updates, `after` not a number",
        f"{WIDGET_UPDATES}?token={TOKEN}&after=x",
        400,
        SESSION,
    ),
    BadInput(
        "widget: customer with a wrong signature",
        WIDGET_SESSION,
        _json(
            {
                "customer": "web-maya",
                "customerExpires": 1_800_000_000,
                "customerSignature": "00" * 32,
            }
        ),
        frozenset({403}),
        auth=NOBODY,
    ),
    get("console: forged agent token", f"{CONSOLE_TICKETS}?status=open", 401, WRONG),
)
