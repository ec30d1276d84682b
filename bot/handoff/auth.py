"""Console sign-in: signed, expiring session tokens and a brake on password guessing.

A token is `<username>.<expiry>.<HMAC-SHA256>` keyed with RELAY_CONSOLE_SECRET (or
a random key generated once into the data directory), so it survives a restart
of the server and cannot be forged. Tokens travel in an HttpOnly, SameSite=Strict
cookie for the console page, or as `Authorization: Bearer <token>` for the API.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time
from collections import defaultdict, deque
from pathlib import Path

from bot.secret_files import generated_secret

TOKEN_HOURS = 12
SECRET_FILE = "console_secret"
MAX_FAILURES = 5
FAILURE_WINDOW = 300.0


def console_secret(data_dir: Path) -> bytes:
    configured = os.environ.get("RELAY_CONSOLE_SECRET")
    if configured:
        return configured.encode()
    return generated_secret(data_dir / SECRET_FILE)


class Tokens:
    def __init__(self, secret: bytes, clock=time.time) -> None:
        self._secret, self._clock = secret, clock

    def _sign(self, body: str) -> str:
        return hmac.new(self._secret, body.encode(), hashlib.sha256).hexdigest()

    def issue(self, username: str, hours: float = TOKEN_HOURS) -> str:
        name = base64.urlsafe_b64encode(username.encode()).decode().rstrip("=")
        body = f"{name}.{int(self._clock() + hours * 3600)}"
        return f"{body}.{self._sign(body)}"

    def username(self, token: str | None) -> str | None:
        """The signed-in username, or None for a missing, forged or expired token."""
        try:
            name, expiry, signature = (token or "").split(".")
        except ValueError:
            return None
        if not hmac.compare_digest(self._sign(f"{name}.{expiry}").encode(), signature.encode()):
            return None
        if not expiry.isdigit() or int(expiry) < self._clock():
            return None
        return base64.urlsafe_b64decode(name + "=" * (-len(name) % 4)).decode()


class Throttle:
    """Refuses sign-in for a username after too many recent failures."""

    def __init__(self, clock=time.monotonic) -> None:
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._clock = clock

    def _recent(self, username: str) -> deque[float]:
        failures = self._failures[username]
        while failures and failures[0] < self._clock() - FAILURE_WINDOW:
            failures.popleft()
        return failures

    def blocked(self, username: str) -> bool:
        return len(self._recent(username)) >= MAX_FAILURES

    def failed(self, username: str) -> None:
        self._recent(username).append(self._clock())

    def succeeded(self, username: str) -> None:
        self._failures.pop(username, None)
