"""Console sign-in: revocable sessions, a brake on password guessing, hashing off the loop.

- **Sessions** are random tokens (256 bits) whose SHA-256 the ticket database keeps
  with the agent, an expiry and a stamp of the agent's password hash. A token works
  until it expires (TOKEN_HOURS), its agent signs out (the row is deleted), the
  agent's password is reset (the stamp no longer matches) or the agent is removed.
  Every process shares the database, so a sign-out holds everywhere at once.
- **Guessing** is braked per username and client address together, per address
  (spraying many usernames) and per username (a botnet on one account). A browser
  that signed in as that agent before carries a signed device cookie and is exempt
  from the per-username brake, so nobody can keep `admin` out by failing on purpose;
  refused attempts are not counted. The counts are sliding windows: in bounded memory,
  or with RELAY_REDIS_URL in the Redis every process shares (`Services.guard`), so two
  processes do not give a guesser twice the attempts; while Redis is down each process
  counts in its own memory again (bot/redis_window.py) rather than not at all.
- **Hashing** (scrypt, ~16 MiB and tens of milliseconds each) runs in worker
  threads, a few at a time, never on the event loop.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import os
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.channels.inbound import credential
from bot.handoff.agents import Agent, check_password, hash_password
from bot.handoff.models import ConsoleSession
from bot.secret_files import generated_secret
from bot.sliding_window import Limit, WindowMaker, full, local_windows

TOKEN_HOURS = 12
SECRET_FILE = "console_secret"
DEVICE_DAYS = 365
MAX_TOKEN = 200
PER_PAIR = Limit(5, 900.0)  # failures of one username from one address, in 15 minutes
PER_CLIENT = Limit(20, 900.0)  # failures from one address, any username
PER_USERNAME = Limit(50, 900.0)  # failures on one username from anywhere (unknown devices)
HASHES_AT_ONCE = 4
DUMMY_PASSWORD = "relay-no-such-agent"


def console_secret(data_dir: Path) -> bytes:
    """The key device cookies are signed with (RELAY_CONSOLE_SECRET, or one generated)."""
    configured = os.environ.get("RELAY_CONSOLE_SECRET")
    if configured:
        return configured.encode()
    return generated_secret(data_dir / SECRET_FILE)


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Sessions:
    """Console sessions kept in the ticket database (see the module docstring)."""

    def __init__(
        self,
        engine: Engine,
        clock: Callable[[], datetime] = utcnow,
        hours: float = TOKEN_HOURS,
    ) -> None:
        ConsoleSession.__table__.create(engine, checkfirst=True)
        self._sessions = sessionmaker(engine, future=True)
        self._clock = clock
        self._lifetime = timedelta(hours=hours)

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        with self._sessions() as session, session.begin():
            yield session

    def issue(self, agent: Agent) -> str:
        """A new session for `agent`; forgets sessions that expired."""
        token = secrets.token_urlsafe(32)
        now = self._clock()
        with self._transaction() as session:
            session.query(ConsoleSession).filter(ConsoleSession.expires_at <= now).delete(
                synchronize_session=False
            )
            session.add(
                ConsoleSession(
                    token_hash=_digest(token),
                    username=agent.username,
                    stamp=agent.stamp,
                    created_at=now,
                    expires_at=now + self._lifetime,
                )
            )
        return token

    def agent(self, token: str | None, agents: dict[str, Agent]) -> Agent | None:
        """The signed-in agent of `token`; None for a missing, unknown, expired or revoked
        one (or not ASCII: no token is), or one issued before the agent's password was reset."""
        token = credential(token)
        if not token or len(token) > MAX_TOKEN:
            return None
        with self._transaction() as session:
            row = session.get(ConsoleSession, _digest(token))
            if row is None or row.expires_at <= self._clock():
                return None
            agent = agents.get(row.username)
            if agent is None or not hmac.compare_digest(row.stamp, agent.stamp):
                return None
            return agent

    def revoke(self, token: str | None) -> None:
        token = credential(token)
        if token:
            with self._transaction() as session:
                session.query(ConsoleSession).filter(
                    ConsoleSession.token_hash == _digest(token)
                ).delete(synchronize_session=False)

    def revoke_all(self, username: str) -> int:
        """Ends every session of `username`; returns how many there were."""
        with self._transaction() as session:
            return int(
                session.query(ConsoleSession)
                .filter(ConsoleSession.username == username)
                .delete(synchronize_session=False)
            )


class Devices:
    """Signed cookies that remember which agents signed in from a browser before."""

    def __init__(self, secret: bytes, clock: Callable[[], float] = time.time) -> None:
        self._secret, self._clock = secret, clock

    def _sign(self, body: str) -> str:
        return hmac.new(self._secret, b"device." + body.encode(), hashlib.sha256).hexdigest()

    def issue(self, username: str) -> str:
        name = base64.urlsafe_b64encode(username.encode()).decode().rstrip("=")
        body = f"{name}.{int(self._clock() + DEVICE_DAYS * 86400)}"
        return f"{body}.{self._sign(body)}"

    def knows(self, cookie: str | None, username: str) -> bool:
        """Whether this browser signed in as `username` before (and the cookie is genuine)."""
        cookie = credential(cookie)
        if credential(username) is None:  # usernames are ASCII; this one can't be compared
            return False
        parts = (cookie or "").split(".")
        if len(parts) != 3 or len(cookie or "") > MAX_TOKEN:
            return False
        name, expiry, signature = parts
        if not hmac.compare_digest(self._sign(f"{name}.{expiry}").encode(), signature.encode()):
            return False
        if not expiry.isdigit() or int(expiry) < self._clock():
            return False
        try:
            known = base64.urlsafe_b64decode(name + "=" * (-len(name) % 4)).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        return hmac.compare_digest(known.encode(), username.encode())


class SignInGuard:
    """Decides whether a sign-in attempt may be checked at all (see the module docstring).

    Args:
        clock: The clock of the in-memory windows (injectable for tests).
        windows: Makes the three windows (by name and limit); by default in memory.
    """

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, windows: WindowMaker | None = None
    ) -> None:
        make = windows or local_windows(clock)
        self._pairs = make("pair", PER_PAIR)
        self._clients = make("client", PER_CLIENT)
        self._usernames = make("username", PER_USERNAME)

    @staticmethod
    def _pair(username: str, client: str) -> str:
        return f"{username}\n{client}"

    async def blocked(self, username: str, client: str, known_device: bool = False) -> bool:
        if await full(self._pairs, self._pair(username, client)):
            return True
        if await full(self._clients, client):
            return True
        return not known_device and await full(self._usernames, username)

    async def failed(self, username: str, client: str) -> None:
        await self._pairs.hit(self._pair(username, client))
        await self._clients.hit(client)
        await self._usernames.hit(username)

    async def succeeded(self, username: str, client: str) -> None:
        await self._pairs.forget(self._pair(username, client))


class Hasher:
    """Checks passwords in worker threads, at most HASHES_AT_ONCE at a time (memory)."""

    def __init__(self, at_once: int = HASHES_AT_ONCE) -> None:
        self._at_once = at_once
        self._slots: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._dummy_hash: str | None = None

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if self._slots is None or self._loop is not loop:
            self._slots, self._loop = asyncio.Semaphore(self._at_once), loop
        return self._slots

    async def _dummy(self) -> str:
        """Checked against when the username is unknown, so timing does not reveal usernames."""
        if self._dummy_hash is None:
            self._dummy_hash = await asyncio.to_thread(hash_password, DUMMY_PASSWORD)
        return self._dummy_hash

    async def check(self, password: str, agent: Agent | None) -> bool:
        """Whether `password` is `agent`'s (the same work when there is no such agent)."""
        stored = agent.password_hash if agent else await self._dummy()
        async with self._semaphore():
            valid = await asyncio.to_thread(check_password, password, stored)
        return agent is not None and valid
