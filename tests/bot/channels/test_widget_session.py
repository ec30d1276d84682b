"""bot/channels/widget_session.py: anonymous sessions and sessions of signed-in customers."""

from __future__ import annotations

import hashlib
import hmac
import stat
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.channels.widget_session import (
    CLOCK_SKEW_SECONDS,
    CUSTOMER_HOURS,
    IDENTITY_SECRET_ENV,
    IDENTITY_SECRET_FILE,
    MAX_CUSTOMER_SIGNATURE_SECONDS,
    CustomerExpiryMissing,
    CustomerExpiryTooFar,
    CustomerNotSigned,
    CustomerRefused,
    CustomerSignatureExpired,
    Sessions,
    customer_signature,
    identity_secret,
)
from tests.support.clock import SecondsClock

SECRET = b"relay-widget-session-secret-for-tests"
SHOP = b"the-shops-identity-secret-for-tests"
NOW = 1_800_000_000  # SecondsClock's start
SOON = NOW + 3600  # an expiry a shop would sign: an hour ahead


def id_only_signature(secret: bytes, website_id: str) -> str:
    """What shops signed before signatures expired: the id alone."""
    return hmac.new(secret, website_id.encode(), hashlib.sha256).hexdigest()


@pytest.fixture
def clock() -> SecondsClock:
    return SecondsClock()


@pytest.fixture
def sessions(clock: SecondsClock) -> Sessions:
    return Sessions(SECRET, identity=SHOP, clock=clock)


def test_an_anonymous_session_names_a_widget_conversation(sessions: Sessions) -> None:
    token, sender = sessions.issue()
    assert sender.startswith("widget-") and sessions.sender(token) == sender


def test_a_customer_the_shop_signed_is_their_site_conversation(sessions: Sessions) -> None:
    signature = customer_signature(SHOP, "web-maya", SOON)
    sessions.check_customer("web-maya", SOON, signature)
    sessions.check_customer("web-maya", str(SOON), signature.upper())  # as a data- attribute
    token, sender = sessions.issue_for_customer("web-maya")
    assert sender == "site-web-maya" and sessions.sender(token) == "site-web-maya"


def test_the_shop_signs_the_id_and_the_expiry() -> None:
    signed = b"web-maya|" + str(SOON).encode()
    expected = hmac.new(SHOP, signed, hashlib.sha256).hexdigest()
    assert customer_signature(SHOP, "web-maya", SOON) == expected


@pytest.mark.parametrize(
    ("customer", "signature"),
    [
        ("web-maya", customer_signature(b"another secret", "web-maya", SOON)),
        ("web-maya", customer_signature(SHOP, "web-tom", SOON)),
        ("web-maya", ""),
        ("web-maya", None),
        ("web maya", customer_signature(SHOP, "web maya", SOON)),  # not an id
        (7, customer_signature(SHOP, "7", SOON)),
    ],
)
def test_a_customer_signature_must_be_the_shops(sessions: Sessions, customer, signature) -> None:
    with pytest.raises(CustomerNotSigned):
        sessions.check_customer(customer, SOON, signature)


def test_a_signature_is_good_until_it_expires(sessions: Sessions, clock: SecondsClock) -> None:
    signature = customer_signature(SHOP, "web-maya", SOON)
    clock.now = SOON - 1
    sessions.check_customer("web-maya", SOON, signature)
    clock.now = SOON
    with pytest.raises(CustomerSignatureExpired):
        sessions.check_customer("web-maya", SOON, signature)


def test_an_expired_signature_is_refused(sessions: Sessions) -> None:
    yesterday = NOW - 24 * 3600
    with pytest.raises(CustomerSignatureExpired):
        sessions.check_customer(
            "web-maya", yesterday, customer_signature(SHOP, "web-maya", yesterday)
        )


def test_a_signature_may_expire_at_most_a_day_ahead(sessions: Sessions) -> None:
    furthest = NOW + MAX_CUSTOMER_SIGNATURE_SECONDS + CLOCK_SKEW_SECONDS
    sessions.check_customer("web-maya", furthest, customer_signature(SHOP, "web-maya", furthest))
    for too_far in (furthest + 1, NOW + 30 * 24 * 3600, 10**12 - 1):
        with pytest.raises(CustomerExpiryTooFar):
            sessions.check_customer(
                "web-maya", too_far, customer_signature(SHOP, "web-maya", too_far)
            )


def test_a_tampered_expiry_is_refused(sessions: Sessions, clock: SecondsClock) -> None:
    signature = customer_signature(SHOP, "web-maya", SOON)
    clock.now = SOON + 60  # the signature expired a minute ago: moving its expiry won't help
    for moved in (SOON + 3600, f"{SOON + 3600}", SOON - 1):
        with pytest.raises(CustomerNotSigned):
            sessions.check_customer("web-maya", moved, signature)


def test_an_id_only_signature_is_refused(sessions: Sessions) -> None:
    old = id_only_signature(SHOP, "web-maya")
    with pytest.raises(CustomerExpiryMissing):
        sessions.check_customer("web-maya", None, old)
    with pytest.raises(CustomerNotSigned):
        sessions.check_customer("web-maya", SOON, old)
    # Nor is an id-only signature of an id that ends like an expiry.
    lookalike = id_only_signature(SHOP, f"web-maya.{SOON}")
    for expires in (SOON, f"{SOON}"):
        with pytest.raises(CustomerNotSigned):
            sessions.check_customer("web-maya", expires, lookalike)


@pytest.mark.parametrize(
    "expires", [None, "", " ", "soon", "-3600", "1.8e9", str(SOON) + ".0", 1.8e9, True, [SOON]]
)
def test_an_expiry_is_unix_seconds(sessions: Sessions, expires: Any) -> None:
    with pytest.raises(CustomerExpiryMissing):
        sessions.check_customer("web-maya", expires, customer_signature(SHOP, "web-maya", SOON))


def test_a_refusal_says_why_and_whom() -> None:
    refusal = CustomerSignatureExpired("web-maya")
    assert isinstance(refusal, CustomerRefused)
    assert str(refusal) == "The shop's signature of this customer has expired (customer 'web-maya')"
    assert len(str(CustomerNotSigned("x" * 10_000))) < 200


def test_without_the_shops_secret_nobody_is_signed_in(clock: SecondsClock) -> None:
    plain = Sessions(SECRET, identity=None, clock=clock)
    assert not plain.identifies_customers
    with pytest.raises(CustomerNotSigned):
        plain.check_customer("web-maya", SOON, customer_signature(SHOP, "web-maya", SOON))


def test_a_customer_session_expires(sessions: Sessions, clock: SecondsClock) -> None:
    token, _ = sessions.issue_for_customer("web-maya")
    clock.now += CUSTOMER_HOURS * 3600 - 1
    assert sessions.sender(token) == "site-web-maya"
    clock.now += 2
    assert sessions.sender(token) is None


def test_a_customer_session_ends_when_the_shops_signature_does_if_sooner(
    sessions: Sessions, clock: SecondsClock
) -> None:
    signed_until = int(clock.now) + 3600
    signature = customer_signature(SHOP, "web-maya", signed_until)
    until = sessions.check_customer("web-maya", signed_until, signature)
    assert until == signed_until
    token, _ = sessions.issue_for_customer("web-maya", until)
    clock.now = signed_until - 1
    assert sessions.sender(token) == "site-web-maya"
    clock.now = signed_until + 1
    assert sessions.sender(token) is None  # not 12 hours on


def test_a_tampered_customer_token_is_refused(sessions: Sessions) -> None:
    token, _ = sessions.issue_for_customer("web-tom")
    tag, name, expiry, signature = token.split(".")
    forged_name = "d2ViLW1heWE"  # base64 of web-maya
    for forged in (
        f"{tag}.{forged_name}.{expiry}.{signature}",
        f"{tag}.{name}.{int(expiry) + 999999}.{signature}",
        f"{tag}.{name}.{expiry}.{signature[:-2]}xx",
        f"site.{name}.{expiry}",
    ):
        assert sessions.sender(forged) is None
    other = Sessions(b"another relay's secret", identity=SHOP)
    assert other.sender(token) is None


def test_an_undecodable_token_or_signature_is_refused_not_a_crash(sessions: Sessions) -> None:
    # Sanic hands on header and body bytes that aren't UTF-8 as lone surrogates.
    assert sessions.sender("A" * 24 + ".\udcff") is None
    assert sessions.sender("site.d2ViLW1heWE.9999999999.\udcff") is None
    with pytest.raises(CustomerNotSigned):
        sessions.check_customer("web-maya", SOON, "\udcff" * 64)


@given(st.text(max_size=300))
def test_no_made_up_token_names_a_conversation(text: str) -> None:
    assert Sessions(SECRET, identity=SHOP).sender(text) is None


def test_the_identity_secret_is_configured_or_generated_privately(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(IDENTITY_SECRET_ENV, "from-the-environment-123456")
    assert identity_secret(tmp_path) == b"from-the-environment-123456"
    monkeypatch.delenv(IDENTITY_SECRET_ENV)
    generated = identity_secret(tmp_path)
    path = tmp_path / IDENTITY_SECRET_FILE
    assert path.read_bytes() == generated and stat.S_IMODE(path.stat().st_mode) == 0o600
