"""bot/handoff/auth.py: revocable sessions, device cookies, the sign-in brake, hashing."""

from __future__ import annotations

import asyncio
import stat
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.handoff import auth
from bot.handoff.agents import Agent, hash_password
from bot.handoff.auth import (
    PER_CLIENT,
    PER_PAIR,
    PER_USERNAME,
    SECRET_FILE,
    Devices,
    Hasher,
    Sessions,
    SignInGuard,
    console_secret,
)
from bot.redis_window import redis_windows
from bot.shared_redis import SharedRedis
from bot.shop.repository import make_engine
from bot.tools.soak.stack import free_port

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def alice() -> Agent:
    return Agent("alice", "Alice Moreau", hash_password(PASSWORD))


class Clock:
    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.seconds = start

    def __call__(self) -> float:
        return self.seconds

    def moment(self) -> datetime:
        return datetime(2026, 11, 24, 11, 0) + timedelta(seconds=self.seconds - 1_800_000_000)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sessions(tmp_path: Path, clock: Clock) -> Sessions:
    return Sessions(make_engine(f"sqlite:///{tmp_path / 'tickets.db'}"), clock=clock.moment)


# --- Sessions ---


def test_a_session_names_its_agent(sessions: Sessions, alice: Agent) -> None:
    token = sessions.issue(alice)
    assert len(token) >= 40
    assert sessions.agent(token, {"alice": alice}) == alice


def test_the_token_itself_is_not_stored(sessions: Sessions, alice: Agent, tmp_path: Path) -> None:
    token = sessions.issue(alice)
    assert token.encode() not in (tmp_path / "tickets.db").read_bytes()


@pytest.mark.parametrize("token", [None, "", "nonsense", "x" * 500, "\udcff\udcfe", "caf\u00e9"])
def test_missing_unknown_huge_or_undecodable_tokens_name_nobody(sessions, alice, token) -> None:
    sessions.issue(alice)
    assert sessions.agent(token, {"alice": alice}) is None


def test_a_session_expires(sessions: Sessions, alice: Agent, clock: Clock) -> None:
    token = sessions.issue(alice)
    clock.seconds += 12 * 3600 - 1
    assert sessions.agent(token, {"alice": alice}) == alice
    clock.seconds += 2
    assert sessions.agent(token, {"alice": alice}) is None


def test_signing_out_ends_that_session_only(sessions: Sessions, alice: Agent) -> None:
    laptop, phone = sessions.issue(alice), sessions.issue(alice)
    sessions.revoke(laptop)
    assert sessions.agent(laptop, {"alice": alice}) is None
    assert sessions.agent(phone, {"alice": alice}) == alice


def test_a_password_reset_ends_every_session(sessions: Sessions, alice: Agent) -> None:
    token = sessions.issue(alice)
    reset = Agent("alice", "Alice Moreau", hash_password("a brand new password"))
    assert sessions.agent(token, {"alice": reset}) is None


def test_revoke_all_and_a_removed_agent(sessions: Sessions, alice: Agent) -> None:
    tokens = [sessions.issue(alice) for _ in range(3)]
    assert sessions.agent(tokens[0], {}) is None  # removed from the agents file
    assert sessions.revoke_all("alice") == 3
    assert all(sessions.agent(token, {"alice": alice}) is None for token in tokens)


def test_revoking_an_undecodable_token_is_a_no_op(sessions: Sessions, alice: Agent) -> None:
    token = sessions.issue(alice)
    sessions.revoke("\udcff\udcfe")
    assert sessions.agent(token, {"alice": alice}) == alice


def test_a_sign_out_holds_in_every_process(tmp_path: Path, alice: Agent) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    first, second = Sessions(make_engine(url)), Sessions(make_engine(url))
    token = first.issue(alice)
    assert second.agent(token, {"alice": alice}) == alice
    second.revoke(token)
    assert first.agent(token, {"alice": alice}) is None


# --- Devices ---


def test_a_device_cookie_remembers_one_agent(clock: Clock) -> None:
    devices = Devices(b"console-secret", clock=clock)
    cookie = devices.issue("alice")
    assert devices.knows(cookie, "alice")
    assert not devices.knows(cookie, "admin")
    assert not Devices(b"another secret", clock=clock).knows(cookie, "alice")


@pytest.mark.parametrize(
    "cookie", [None, "", "a.b", "YWRtaW4.9999999999.00", "x" * 300, "a.b.\udcff", "\udcff.1.c"]
)
def test_forged_device_cookies_are_not_known(clock: Clock, cookie: str | None) -> None:
    assert not Devices(b"console-secret", clock=clock).knows(cookie, "admin")


def test_a_genuine_cookie_with_an_undecodable_username_is_not_known(clock: Clock) -> None:
    devices = Devices(b"console-secret", clock=clock)
    assert not devices.knows(devices.issue("alice"), "alice\ud800")


def test_a_device_cookie_expires_after_a_year(clock: Clock) -> None:
    devices = Devices(b"console-secret", clock=clock)
    cookie = devices.issue("alice")
    clock.seconds += 366 * 86400
    assert not devices.knows(cookie, "alice")


# --- The sign-in guard ---


def blocked(guard: SignInGuard, username: str, client: str, known_device: bool = False) -> bool:
    return bool(asyncio.run(guard.blocked(username, client, known_device)))


def fail(guard: SignInGuard, username: str, client: str, times: int = 1) -> None:
    async def failures() -> None:
        for _ in range(times):
            await guard.failed(username, client)

    asyncio.run(failures())


def test_a_username_is_blocked_from_one_address_after_its_failures(clock: Clock) -> None:
    guard = SignInGuard(clock=clock)
    for _ in range(PER_PAIR.count):
        assert not blocked(guard, "alice", "10.0.0.1")
        fail(guard, "alice", "10.0.0.1")
    assert blocked(guard, "alice", "10.0.0.1")
    assert not blocked(guard, "alice", "10.0.0.2")  # Alice herself, elsewhere
    clock.seconds += PER_PAIR.seconds + 1
    assert not blocked(guard, "alice", "10.0.0.1")


def test_an_address_spraying_usernames_is_blocked(clock: Clock) -> None:
    guard = SignInGuard(clock=clock)
    for number in range(PER_CLIENT.count):
        fail(guard, f"user{number}", "10.0.0.9")
    assert blocked(guard, "someone-new", "10.0.0.9")
    assert not blocked(guard, "someone-new", "10.0.0.10")


def test_a_botnet_cannot_keep_the_admin_out_of_a_known_browser(clock: Clock) -> None:
    guard = SignInGuard(clock=clock)
    for number in range(PER_USERNAME.count):
        fail(guard, "admin", f"203.0.113.{number}")
    assert blocked(guard, "admin", "198.51.100.7")  # an unknown browser waits
    assert not blocked(guard, "admin", "198.51.100.7", known_device=True)


def test_a_success_forgets_that_addresss_failures(clock: Clock) -> None:
    guard = SignInGuard(clock=clock)
    fail(guard, "alice", "10.0.0.1", times=PER_PAIR.count - 1)
    asyncio.run(guard.succeeded("alice", "10.0.0.1"))
    fail(guard, "alice", "10.0.0.1")
    assert not blocked(guard, "alice", "10.0.0.1")


def test_two_processes_sharing_redis_share_the_brake(redis_url: str, clock: Clock) -> None:
    # Two replicas behind one proxy: a guesser alternating between them gets no more tries.
    first = SignInGuard(windows=redis_windows(SharedRedis(redis_url), clock))
    second = SignInGuard(windows=redis_windows(SharedRedis(redis_url), clock))
    for attempt in range(PER_PAIR.count):
        assert not blocked(first, "alice", "10.0.0.1")
        fail(first if attempt % 2 else second, "alice", "10.0.0.1")
    assert blocked(first, "alice", "10.0.0.1") and blocked(second, "alice", "10.0.0.1")
    asyncio.run(second.succeeded("alice", "10.0.0.1"))
    assert not blocked(first, "alice", "10.0.0.1")


def test_with_redis_down_each_process_still_brakes(caplog: pytest.LogCaptureFixture) -> None:
    guard = SignInGuard(windows=redis_windows(SharedRedis(f"redis://127.0.0.1:{free_port()}/0")))
    fail(guard, "alice", "10.0.0.1", times=PER_PAIR.count)
    assert blocked(guard, "alice", "10.0.0.1")  # fails closed: counted in this process
    assert len([r for r in caplog.records if "falls back" in r.getMessage()]) == 1


# --- Hashing off the event loop ---


def test_passwords_are_checked_without_stopping_the_event_loop(alice: Agent) -> None:
    hasher = Hasher(at_once=2)

    async def scenario() -> tuple[list[bool], int]:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.005)

        running = asyncio.create_task(ticker())
        results = await asyncio.gather(
            *(hasher.check(PASSWORD if n % 2 else "wrong", alice) for n in range(6)),
            hasher.check(PASSWORD, None),
        )
        running.cancel()
        return list(results), ticks

    started = time.monotonic()
    results, ticks = asyncio.run(scenario())
    elapsed = time.monotonic() - started
    assert results == [False, True, False, True, False, True, False]  # no agent: never valid
    # The loop kept ticking while seven scrypt checks ran in worker threads.
    assert ticks >= elapsed / 0.005 / 4


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


def test_an_unknown_username_costs_a_check_against_one_dummy_hash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made = []

    def counted(password: str) -> str:
        made.append(password)
        return hash_password(password)

    monkeypatch.setattr(auth, "hash_password", counted)
    hasher = Hasher()

    async def twice() -> list[bool]:
        return [await hasher.check(PASSWORD, None), await hasher.check(PASSWORD, None)]

    assert asyncio.run(twice()) == [False, False]
    assert made == [auth.DUMMY_PASSWORD]  # made once, kept by the service (no module cache)
