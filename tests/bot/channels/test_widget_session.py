"""bot/channels/widget_session.py: anonymous sessions and sessions of signed-in customers."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.channels.widget_session import (
    CUSTOMER_HOURS,
    IDENTITY_SECRET_ENV,
    IDENTITY_SECRET_FILE,
    Sessions,
    customer_signature,
    identity_secret,
)
from tests.support.clock import SecondsClock

SECRET = b"relay-widget-session-secret-for-tests"
SHOP = b"the-shops-identity-secret-for-tests"


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
    signature = customer_signature(SHOP, "web-maya")
    assert sessions.verifies("web-maya", signature)
    assert sessions.verifies("web-maya", signature.upper())
    token, sender = sessions.issue_for_customer("web-maya")
    assert sender == "site-web-maya" and sessions.sender(token) == "site-web-maya"


@pytest.mark.parametrize(
    ("customer", "signature"),
    [
        ("web-maya", customer_signature(b"another secret", "web-maya")),
        ("web-maya", customer_signature(SHOP, "web-tom")),
        ("web-maya", ""),
        ("web-maya", None),
        ("web maya", customer_signature(SHOP, "web maya")),  # not an id
        (7, customer_signature(SHOP, "7")),
    ],
)
def test_a_customer_signature_must_be_the_shops(sessions: Sessions, customer, signature) -> None:
    assert not sessions.verifies(customer, signature)


def test_without_the_shops_secret_nobody_is_signed_in(clock: SecondsClock) -> None:
    plain = Sessions(SECRET, identity=None, clock=clock)
    assert not plain.identifies_customers
    assert not plain.verifies("web-maya", customer_signature(SHOP, "web-maya"))


def test_a_customer_session_expires(sessions: Sessions, clock: SecondsClock) -> None:
    token, _ = sessions.issue_for_customer("web-maya")
    clock.now += CUSTOMER_HOURS * 3600 - 1
    assert sessions.sender(token) == "site-web-maya"
    clock.now += 2
    assert sessions.sender(token) is None


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
