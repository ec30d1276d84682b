"""The soak's HTTP calls: one request with a timeout, and the backoff between attempts.

A request never raises for what a server under faults does (no connection, a reset,
no answer in time, a body that isn't JSON): it returns an `Answer` that says so,
and the client decides whether to send it again.
"""

from __future__ import annotations

import asyncio
import json
import random
from dataclasses import dataclass, field
from typing import Any

import aiohttp

REQUEST_SECONDS = 30.0


@dataclass(frozen=True)
class Answer:
    """What came back: a status and the decoded body, or why nothing came (`failure`)."""

    status: int | None
    body: Any = None
    failure: str | None = None

    @property
    def json_list(self) -> list[Any]:
        return self.body if isinstance(self.body, list) else []

    @property
    def json_object(self) -> dict[str, Any]:
        return self.body if isinstance(self.body, dict) else {}


async def request(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    body: Any = None,
    data: bytes | None = None,
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
    seconds: float = REQUEST_SECONDS,
) -> Answer:
    """One HTTP request: `body` as JSON, or `data` as raw bytes with `content_type`."""
    sent_headers = dict(headers or {})
    payload = data
    if body is not None:
        payload = json.dumps(body).encode()
    if payload is not None:
        sent_headers.setdefault("Content-Type", content_type)
    try:
        async with session.request(
            method,
            url,
            data=payload,
            headers=sent_headers,
            timeout=aiohttp.ClientTimeout(total=seconds),
        ) as response:
            raw = await response.read()
            status = response.status
    except asyncio.TimeoutError:
        return Answer(None, failure=f"no answer within {seconds:g} s")
    except aiohttp.ClientError as error:
        return Answer(None, failure=f"{type(error).__name__}: {error}"[:200])
    try:
        decoded: Any = json.loads(raw) if raw else None
    except (UnicodeDecodeError, ValueError):
        decoded = raw.decode("utf-8", errors="replace")[:500]
    return Answer(status, decoded)


@dataclass
class Backoff:
    """Pauses between attempts: doubling from `first` up to `most`, with some jitter.

    Args:
        first: The first pause in seconds.
        most: The longest pause.
        jitter: A random fraction added to each pause, so clients don't retry in step.
    """

    first: float = 0.5
    most: float = 8.0
    jitter: float = 0.25
    rng: random.Random = field(default_factory=random.Random)
    _next: float = 0.0

    def pause(self) -> float:
        """The next pause (and doubles the one after)."""
        base = self._next or self.first
        self._next = min(self.most, base * 2)
        return base * (1 + self.jitter * self.rng.random())

    def reset(self) -> None:
        self._next = 0.0
