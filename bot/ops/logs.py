"""Relay's log lines: the conversation they belong to on every line, and never a secret.

`install()` (called by the launchers in bot/tools/) wraps Python's log record
factory, so every record of every library passes through here once, before any
handler sees it:

- its message (and traceback) is formatted and redacted: every secret Relay knows
  (the values of SECRET_VARIABLES, keys read from the data directory, added with
  `keep_secret()`) becomes `[redacted]`, as do Telegram bot tokens in URLs,
  `token=` / `secret=` / `password=` query values and bearer tokens;
- it carries `conversation_id`, the conversation being handled (a context variable
  the handoff gate and the action server set), or `-`.

The handlers print `time level [conversation] logger - message`, or one JSON object
per line with RELAY_LOG_FORMAT=json (for a log shipper). httpx's request lines follow
LOG_LEVEL like Rasa's own (at INFO an operator sees each call to Telegram), with the
bot token in their URLs redacted.
"""

from __future__ import annotations

import json
import logging
import os
import re
import traceback
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

SECRET_VARIABLES = (
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_WEBHOOK_SECRET",
    "RELAY_API_TOKEN",
    "RELAY_ACTION_TOKEN",
    "RELAY_REST_TOKEN",
    "RELAY_WIDGET_SECRET",
    "RELAY_WIDGET_IDENTITY_SECRET",
    "RELAY_CONSOLE_SECRET",
    "RELAY_WEBHOOK_SECRET",
    "RELAY_TRACKER_PASSWORD",
    "RELAY_AGENT_PASSWORD",
)
URL_VARIABLES = ("RELAY_SHOP_DB_URL", "RELAY_TRACKER_HOST", "RELAY_REDIS_URL")  # user:password@
MIN_SECRET = 6  # shorter values would redact ordinary words
REDACTED = "[redacted]"
PATTERNS = (
    re.compile(r"(?<=/bot)\d+:[A-Za-z0-9_-]{20,}"),  # Telegram's API URLs
    re.compile(r"(?i)(?<=[?&;])(token|secret|password|key|signature)=[^&\s\"']+"),
    re.compile(r"(?i)(?<=bearer )[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"(?<=://)[^/\s:@]*:[^/\s@]+(?=@)"),  # [user]:password@ in URLs (Redis: none)
)
TEXT_FORMAT = "%(asctime)s %(levelname)-8s [%(conversation_id)s] %(name)s - %(message)s"
HTTP_CLIENTS = ("httpx",)  # logs each request's URL: Telegram's carries the bot token

conversation: ContextVar[str] = ContextVar("relay_conversation", default="-")
_secrets: set[str] = set()
_installed = False


def keep_secret(value: str | bytes | None) -> None:
    """Adds a value that must never appear in a log line (a key read from a file, say)."""
    if isinstance(value, bytes):
        value = value.decode(errors="ignore")
    if value and len(value.strip()) >= MIN_SECRET:
        _secrets.add(value.strip())


def secrets_from(environ: dict[str, str] | os._Environ[str]) -> Iterator[str]:
    """The secret values among `environ`'s variables (and the passwords in its URLs)."""
    for name in SECRET_VARIABLES:
        if environ.get(name):
            yield environ[name]
    for name in URL_VARIABLES:
        found = re.search(r"://[^/\s:@]*:([^/\s@]+)@", environ.get(name) or "")  # user may be empty
        if found:
            yield found.group(1)


def redact(text: str) -> str:
    """`text` with every known secret and secret-looking value replaced."""
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern in PATTERNS:
        text = pattern.sub(_replacement, text)
    return text


def _replacement(match: re.Match[str]) -> str:
    whole = match.group(0)
    if "=" in whole and match.lastindex:  # keep the parameter's name: token=[redacted]
        return whole.split("=", 1)[0] + "=" + REDACTED
    return REDACTED


def _cleaned(record: logging.LogRecord) -> logging.LogRecord:
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: keep what can be shown
        message = f"{record.msg!r} {record.args!r}"
    record.msg, record.args = redact(message), None
    if record.exc_info and not record.exc_text:
        record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip())
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    record.conversation_id = conversation.get()
    return record


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, conversation, message (+ error)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "conversation": getattr(record, "conversation_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_text:
            line["error"] = record.exc_text
        elif record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def formatter(kind: str | None = None) -> logging.Formatter:
    if (kind or os.environ.get("RELAY_LOG_FORMAT") or "text").lower() == "json":
        return JsonFormatter()
    return logging.Formatter(TEXT_FORMAT)


def install(extra_secrets: Iterable[str | bytes] = ()) -> None:
    """Redaction and conversation ids for every log record of this process; the root
    logger's handlers (a console handler if there is none) use Relay's format."""
    global _installed
    for value in (*secrets_from(os.environ), *extra_secrets):
        keep_secret(value)
    level = logging.getLevelName((os.environ.get("LOG_LEVEL") or "INFO").upper())
    for name in HTTP_CLIENTS:
        logging.getLogger(name).setLevel(level if isinstance(level, int) else logging.INFO)
    if not _installed:
        make_record = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            return _cleaned(make_record(*args, **kwargs))

        logging.setLogRecordFactory(factory)
        _installed = True
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler())
    for handler in root.handlers:
        handler.setFormatter(formatter())


@contextmanager
def about(conversation_id: str) -> Iterator[None]:
    """Log lines written inside this block name `conversation_id`."""
    token = conversation.set(conversation_id)
    try:
        yield
    finally:
        conversation.reset(token)
