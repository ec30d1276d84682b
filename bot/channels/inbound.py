"""What every channel checks in a customer's message before Rasa sees it.

Text is cleaned the same way on every channel: invalid code points (lone
surrogates, which no database can store) and control characters are dropped,
the text is put in Unicode's NFC form and trimmed, and its length is limited.
Emoji, right-to-left and mixed scripts pass unchanged: they are the customer's words.
"""

from __future__ import annotations

import hmac
import json
import unicodedata
from typing import Any

MAX_TEXT = 5000  # characters of one customer message (the NLU reads at most this many)
# Bytes of one request body on the customers' routes: 5,000 characters JSON-escaped as
# \uXXXX surrogate pairs (12 bytes each) still fit.
MAX_BODY = 64 * 1024
CLIENT_KEY = "relay_client"  # message metadata: who sent it, for per-client limits

EMPTY = "The message is empty"
TOO_LONG = f"Messages are limited to {MAX_TEXT} characters"
TOO_BIG = "The request is too large"
BAD_JSON = "The body must be a JSON object"
NOT_TEXT = "The message must be a string"
KEPT_CONTROLS = {"\n", "\t"}


class InboundError(Exception):
    """A request a channel refuses, with the HTTP status and the reason to answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status, self.message = status, message


def clean_text(value: str) -> str:
    """`value` without what cannot be stored or shown: surrogates and control characters."""
    kept = []
    for char in value:
        category = unicodedata.category(char)
        if category == "Cs" or (category == "Cc" and char not in KEPT_CONTROLS):
            continue
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept)).strip()


def message_text(value: Any) -> str:
    """A customer's message, cleaned; InboundError when it is not text, empty or too long."""
    if not isinstance(value, str):
        raise InboundError(400, NOT_TEXT)
    if len(value) > MAX_TEXT * 2:  # reject before cleaning a huge value
        raise InboundError(413, TOO_LONG)
    text = clean_text(value)
    if not text:
        raise InboundError(400, EMPTY)
    if len(text) > MAX_TEXT:
        raise InboundError(413, TOO_LONG)
    return text


def json_object(raw: bytes | None, limit: int = MAX_BODY) -> dict[str, Any]:
    """A request body that must be one JSON object of at most `limit` bytes."""
    raw = raw or b""
    if len(raw) > limit:
        raise InboundError(413, TOO_BIG)
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, ValueError):  # invalid UTF-8, malformed JSON
        raise InboundError(400, BAD_JSON) from None
    if not isinstance(body, dict):
        raise InboundError(400, BAD_JSON)
    return body


def credential(value: object) -> str | None:
    """A presented token or secret, or None when it cannot be one: missing, not a string, or
    not ASCII. (Sanic's server hands on header bytes that are not UTF-8 as lone surrogates,
    which cannot even be encoded; every credential Relay issues or accepts is ASCII.)"""
    return value if isinstance(value, str) and value.isascii() else None


def same_secret(given: str | None, expected: str) -> bool:
    """Constant-time comparison of a presented secret with the configured one; a missing or
    non-ASCII one (see `credential`) never matches."""
    presented = credential(given)
    return presented is not None and hmac.compare_digest(presented.encode(), expected.encode())


def bearer(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header; None without a usable one."""
    scheme, _, token = (credential(authorization) or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None
