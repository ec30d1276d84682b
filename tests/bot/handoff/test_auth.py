"""bot/handoff/auth.py: signed session tokens, the sign-in brake and the console secret."""

from __future__ import annotations

import stat

import pytest

from bot.handoff.auth import (
    FAILURE_WINDOW,
    MAX_FAILURES,
    SECRET_FILE,
    TOKEN_HOURS,
    Throttle,
    Tokens,
    console_secret,
)

SECRET = b"a-test-secret"
NOW = 1_795_518_000.0


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def tokens(clock) -> Tokens:
    return Tokens(SECRET, clock=clock)


# --- Tokens ---


def test_an_issued_token_names_its_agent(tokens):
    token = tokens.issue("alice")
    assert tokens.username(token) == "alice"
    name, expiry, signature = token.split(".")
    assert int(expiry) == int(NOW + TOKEN_HOURS * 3600)
    assert len(signature) == 64


@pytest.mark.parametrize("username", ["alice.moreau", "j.o.e", "zoë", "李雷", "a b=c/d+e"])
def test_usernames_with_dots_and_unicode(tokens, username):
    assert tokens.username(tokens.issue(username)) == username


def test_a_token_survives_a_restart_with_the_same_secret(tokens, clock):
    assert Tokens(SECRET, clock=clock).username(tokens.issue("alice")) == "alice"


def test_a_token_signed_with_another_secret_is_refused(tokens, clock):
    forged = Tokens(b"attacker-secret", clock=clock).issue("alice")
    assert tokens.username(forged) is None


def test_a_forged_signature_is_refused(tokens):
    name, expiry, signature = tokens.issue("alice").split(".")
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
    assert tokens.username(f"{name}.{expiry}.{flipped}") is None


def test_a_tampered_username_or_expiry_is_refused(tokens):
    _, expiry, signature = tokens.issue("alice").split(".")
    admin = tokens.issue("admin").split(".")[0]
    assert tokens.username(f"{admin}.{expiry}.{signature}") is None
    assert tokens.username(tokens.issue("alice")[:-1]) is None
    name = tokens.issue("alice").split(".")[0]
    assert tokens.username(f"{name}.{int(expiry) + 3600}.{signature}") is None


@pytest.mark.parametrize("token", [None, "", "alice", "a.b", "a.b.c.d", "...."])
def test_missing_or_malformed_tokens_are_refused(tokens, token):
    assert tokens.username(token) is None


def test_a_token_expires(tokens, clock):
    token = tokens.issue("alice", hours=1)
    clock.now = NOW + 3600
    assert tokens.username(token) == "alice"
    clock.now = NOW + 3601
    assert tokens.username(token) is None


def test_the_default_lifetime_is_twelve_hours(tokens, clock):
    token = tokens.issue("alice")
    clock.now = NOW + 11 * 3600
    assert tokens.username(token) == "alice"
    clock.now = NOW + 13 * 3600
    assert tokens.username(token) is None


# --- Throttle ---


def test_throttle_blocks_after_five_failures_in_the_window(clock):
    throttle = Throttle(clock=clock)
    for _ in range(MAX_FAILURES - 1):
        throttle.failed("alice")
        clock.now += 10
    assert not throttle.blocked("alice")
    throttle.failed("alice")
    assert throttle.blocked("alice")
    assert not throttle.blocked("bob")


def test_throttle_recovers_once_the_failures_are_old(clock):
    throttle = Throttle(clock=clock)
    throttle.failed("alice")
    clock.now += 60
    for _ in range(MAX_FAILURES - 1):
        throttle.failed("alice")
    assert throttle.blocked("alice")
    clock.now += FAILURE_WINDOW - 59
    assert not throttle.blocked("alice")
    clock.now += 60
    assert not throttle.blocked("alice")
    throttle.failed("alice")
    assert not throttle.blocked("alice")


def test_failures_spread_beyond_the_window_never_block(clock):
    throttle = Throttle(clock=clock)
    for _ in range(3 * MAX_FAILURES):
        throttle.failed("alice")
        clock.now += FAILURE_WINDOW / (MAX_FAILURES - 1) + 1
    assert not throttle.blocked("alice")


def test_a_success_forgets_the_failures(clock):
    throttle = Throttle(clock=clock)
    for _ in range(MAX_FAILURES - 1):
        throttle.failed("alice")
    throttle.succeeded("alice")
    throttle.succeeded("nobody")
    throttle.failed("alice")
    assert not throttle.blocked("alice")


# --- Console secret ---


def test_console_secret_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("RELAY_CONSOLE_SECRET", "from-the-env")
    assert console_secret(tmp_path) == b"from-the-env"
    assert not (tmp_path / SECRET_FILE).exists()


def test_console_secret_is_generated_once_into_a_private_file(tmp_path, monkeypatch):
    monkeypatch.delenv("RELAY_CONSOLE_SECRET", raising=False)
    data_dir = tmp_path / "var"
    secret = console_secret(data_dir)
    path = data_dir / SECRET_FILE
    assert len(secret) >= 32
    assert path.read_bytes() == secret
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert console_secret(data_dir) == secret


def test_an_empty_environment_secret_falls_back_to_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("RELAY_CONSOLE_SECRET", "")
    (tmp_path / SECRET_FILE).write_bytes(b"kept-from-last-time\n")
    assert console_secret(tmp_path) == b"kept-from-last-time"
