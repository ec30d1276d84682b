"""Sessions of the website chat widget: signed tokens that name one conversation each.

An anonymous session's token is `<id>.<signature>`: a random id (the conversation
is `widget-<id>`) and its HMAC-SHA256 under the widget's secret. Nothing is stored
on the server, a token survives restarts, and nobody reaches a conversation without
its token: guessing an id is not enough, and signatures are compared in constant time.

A shop whose customer is signed in on its site can tell the widget who they are:
its backend signs the customer's website id and an expiry time with the identity
secret it shares with Relay (`customer_signature`), the page passes all three to the
widget, and the session is then `site.<id>.<expiry>.<signature>`, naming conversation
`site-<website id>` (bot/identity.py): the bot greets them by name and knows their
orders. The shop's signature expires (at most MAX_CUSTOMER_SIGNATURE_SECONDS ahead),
so one copied from a page, a cache or a link stops working; the session it opens
expires too, so a customer who signs out of the shop doesn't stay signed in to the chat.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import re
import secrets
import time
from collections.abc import Callable
from pathlib import Path

from bot import identity
from bot.channels.inbound import credential
from bot.secret_files import generated_secret

logger = logging.getLogger(__name__)

SECRET_ENV = "RELAY_WIDGET_SECRET"
SECRET_FILE = "widget_secret"
IDENTITY_SECRET_ENV = "RELAY_WIDGET_IDENTITY_SECRET"
IDENTITY_SECRET_FILE = "widget_identity_secret"
SENDER_PREFIX = identity.WIDGET + identity.SEPARATOR
ID_BYTES = 18
MIN_SECRET_LENGTH = 16
# What secrets.token_urlsafe(ID_BYTES) produces: 24 URL-safe characters.
ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{24}")
CUSTOMER_ID = re.compile(r"[A-Za-z0-9_.:@+=-]{1,64}")
CUSTOMER_TAG = "site"
CUSTOMER_HOURS = 12
# The furthest ahead a shop may set the expiry of its signature of a customer, and how
# far Relay's clock may lag the shop's. A longer-lived signature is refused, so one
# that leaks (page HTML, a browser cache, a link in a history) is soon worthless.
MAX_CUSTOMER_SIGNATURE_SECONDS = 24 * 3600
CLOCK_SKEW_SECONDS = 300
# Unix seconds, as a shop sends them (a JSON number, or digits in a data- attribute).
EXPIRY_PATTERN = re.compile(r"[0-9]{1,12}")
# Between the id and the expiry in what the shop signs: never part of an id, so the
# text is unambiguous and no id-only signature of the old scheme ever matches it.
SIGNED_SEPARATOR = "|"
MAX_TOKEN = 256


def _configured_or_generated(value: str | None, path: Path) -> bytes:
    if value:
        if len(value) < MIN_SECRET_LENGTH:
            logger.warning("a widget secret is short; use %d+ characters", 32)
        return value.encode()
    return generated_secret(path)


def widget_secret(data_dir: Path, configured: str | None = None) -> bytes:
    """The signing key of sessions: `configured`, else RELAY_WIDGET_SECRET, else a random
    key kept in `data_dir` (generated on first use, readable only by its owner)."""
    return _configured_or_generated(
        configured or os.environ.get(SECRET_ENV), data_dir / SECRET_FILE
    )


def identity_secret(data_dir: Path, configured: str | None = None) -> bytes:
    """The key a shop's backend signs its customers' ids and expiries with
    (RELAY_WIDGET_IDENTITY_SECRET, else one generated into `data_dir`, which the demo
    page uses)."""
    value = configured or os.environ.get(IDENTITY_SECRET_ENV)
    return _configured_or_generated(value, data_dir / IDENTITY_SECRET_FILE)


def customer_signature(secret: bytes, website_id: str, expires: int) -> str:
    """What a shop's backend computes for a signed-in customer: the hex HMAC-SHA256 of
    `<website id>|<expires>`, `expires` in unix seconds (at most 24 hours ahead)."""
    signed = f"{website_id}{SIGNED_SEPARATOR}{expires}"
    return hmac.new(secret, signed.encode(), hashlib.sha256).hexdigest()


class CustomerRefused(Exception):
    """The shop's signature of a customer does not sign them in."""

    def __init__(self, website_id: object) -> None:
        super().__init__(website_id)
        self.website_id = website_id

    def __str__(self) -> str:
        why = (self.__doc__ or type(self).__name__).rstrip(".")
        return f"{why} (customer {self.website_id!r:.80})"  # cut: it is the caller's input


class CustomerNotSigned(CustomerRefused):
    """The signature is not the shop's signature of this customer and expiry."""


class CustomerExpiryMissing(CustomerRefused):
    """No expiry, or one that is not unix seconds: an id-only signature is not enough."""


class CustomerSignatureExpired(CustomerRefused):
    """The shop's signature of this customer has expired."""


class CustomerExpiryTooFar(CustomerRefused):
    """The shop's signature of this customer expires further ahead than Relay allows."""


def _expiry(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str) and EXPIRY_PATTERN.fullmatch(value.strip()):
        return int(value)
    return None


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None


class Sessions:
    """Issues widget sessions and tells which conversation a token belongs to.

    Args:
        secret: The key sessions are signed with (Relay's own, never the shop's).
        identity: The key the shop signs its customers' ids and expiries with; None turns
            that off.
        clock: Seconds since the epoch (injectable for tests).
    """

    def __init__(
        self,
        secret: bytes,
        identity: bytes | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not secret:
            raise ValueError("the widget's session secret must not be empty")
        self._secret = secret
        self._identity = identity
        self._clock = clock

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._secret, body.encode(), hashlib.sha256).digest())

    def issue(self) -> tuple[str, str]:
        """A new anonymous session: (token, conversation id)."""
        session_id = secrets.token_urlsafe(ID_BYTES)
        return f"{session_id}.{self._sign(session_id)}", SENDER_PREFIX + session_id

    def check_customer(self, website_id: object, expires: object, signature: object) -> int:
        """The signature's expiry (unix seconds); raises CustomerRefused unless the shop
        signed `website_id` with `expires`, and that lies ahead, by at most
        MAX_CUSTOMER_SIGNATURE_SECONDS.

        The signature is compared in constant time, and checked before the expiry, so a
        forged one is refused as forged whatever its expiry.
        """
        if self._identity is None or not isinstance(website_id, str):
            raise CustomerNotSigned(website_id)
        signature = credential(signature)
        if signature is None or not CUSTOMER_ID.fullmatch(website_id):
            raise CustomerNotSigned(website_id)
        expiry = _expiry(expires)
        if expiry is None:
            raise CustomerExpiryMissing(website_id)
        expected = customer_signature(self._identity, website_id, expiry)
        if not hmac.compare_digest(expected.encode(), signature.strip().lower().encode()):
            raise CustomerNotSigned(website_id)
        now = self._clock()
        if expiry <= now:
            raise CustomerSignatureExpired(website_id)
        if expiry > now + MAX_CUSTOMER_SIGNATURE_SECONDS + CLOCK_SKEW_SECONDS:
            raise CustomerExpiryTooFar(website_id)
        return expiry

    @property
    def identifies_customers(self) -> bool:
        return self._identity is not None

    def issue_for_customer(self, website_id: str, until: int | None = None) -> tuple[str, str]:
        """A session of a customer the shop vouched for (`check_customer` first); it
        expires CUSTOMER_HOURS from now, or when the shop's signature does (`until`) if
        that is sooner: the shop decides how long its customer stays signed in."""
        if not CUSTOMER_ID.fullmatch(website_id):
            raise ValueError(f"{website_id!r} is not a customer id")
        expiry = int(self._clock() + CUSTOMER_HOURS * 3600)
        if until is not None:
            expiry = min(expiry, until)
        body = f"{CUSTOMER_TAG}.{_b64(website_id.encode())}.{expiry}"
        return f"{body}.{self._sign(body)}", identity.conversation_id(identity.SITE, website_id)

    def sender(self, token: str | None) -> str | None:
        """The conversation of a valid token; None for a missing, malformed, forged or
        expired one."""
        token = credential(token)
        if token is None or len(token) > MAX_TOKEN:
            return None
        parts = token.split(".")
        if len(parts) == 2 and ID_PATTERN.fullmatch(parts[0]):
            if hmac.compare_digest(self._sign(parts[0]).encode(), parts[1].encode()):
                return SENDER_PREFIX + parts[0]
            return None
        if len(parts) == 4 and parts[0] == CUSTOMER_TAG:
            return self._customer_sender(parts)
        return None

    def _customer_sender(self, parts: list[str]) -> str | None:
        tag, encoded, expiry, signature = parts
        body = f"{tag}.{encoded}.{expiry}"
        if not hmac.compare_digest(self._sign(body).encode(), signature.encode()):
            return None
        if not expiry.isdigit() or int(expiry) < self._clock():
            return None
        raw = _unb64(encoded)
        try:
            website_id = raw.decode() if raw is not None else ""
        except UnicodeDecodeError:
            return None
        if not CUSTOMER_ID.fullmatch(website_id):
            return None
        return identity.conversation_id(identity.SITE, website_id)
