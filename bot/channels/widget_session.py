"""Sessions of the website chat widget: signed tokens that name one conversation each.

A token is `<id>.<signature>`: a random id (the conversation is Rasa's sender
`widget-<id>`) and its HMAC-SHA256 under the widget's secret. Nothing is stored on
the server, a token survives restarts, and nobody can reach a conversation without
its token: guessing an id is not enough, and signatures are compared in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import re
import secrets
from pathlib import Path

logger = logging.getLogger(__name__)

SECRET_ENV = "RELAY_WIDGET_SECRET"
SECRET_FILE = "widget_secret"
SENDER_PREFIX = "widget-"
ID_BYTES = 18
MIN_SECRET_LENGTH = 16
# What secrets.token_urlsafe(ID_BYTES) produces: 24 URL-safe characters.
ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{24}")
MAX_TOKEN = 128


def widget_secret(data_dir: Path, configured: str | None = None) -> bytes:
    """The signing key: `configured`, else RELAY_WIDGET_SECRET, else a random key kept in
    `data_dir` (generated on first use, readable only by its owner)."""
    value = configured or os.environ.get(SECRET_ENV)
    if value:
        if len(value) < MIN_SECRET_LENGTH:
            logger.warning("the widget's session secret is short; use %d+ characters", 32)
        return value.encode()
    path = data_dir / SECRET_FILE
    if path.exists():
        return path.read_bytes().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    generated = secrets.token_urlsafe(32).encode()
    path.write_bytes(generated)
    path.chmod(0o600)
    return generated


class Sessions:
    """Issues widget sessions and tells which conversation a token belongs to."""

    def __init__(self, secret: bytes) -> None:
        if not secret:
            raise ValueError("the widget's session secret must not be empty")
        self._secret = secret

    def _sign(self, session_id: str) -> str:
        digest = hmac.new(self._secret, session_id.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def issue(self) -> tuple[str, str]:
        """A new session: (token, Rasa sender id)."""
        session_id = secrets.token_urlsafe(ID_BYTES)
        return f"{session_id}.{self._sign(session_id)}", SENDER_PREFIX + session_id

    def sender(self, token: str | None) -> str | None:
        """The Rasa sender id of a valid token; None for a missing, malformed or forged one."""
        if not isinstance(token, str) or len(token) > MAX_TOKEN:
            return None
        session_id, _, signature = token.partition(".")
        if not ID_PATTERN.fullmatch(session_id):
            return None
        if not hmac.compare_digest(self._sign(session_id).encode(), signature.encode()):
            return None
        return SENDER_PREFIX + session_id
