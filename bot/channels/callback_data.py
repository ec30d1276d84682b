"""Button payloads as Telegram callback data, which may be at most 64 bytes.

A shorter payload is its own callback data. A longer one (`/inform{...}` with a long
entity) is kept under a short random key (`relay:...`) that the button carries, and
looked up when it is pressed. `LocalPayloads` keeps them in this process's memory (the
newest PAYLOADS_KEPT; one process, the default); with RELAY_REDIS_URL they are kept in
Redis (bot/channels/redis_callback_data.py), so a button one process sent works when
its press reaches another. A forgotten key is answered with the button's title
(bot/channels/telegram_updates.py `pressed`).
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from typing import Protocol

MAX_CALLBACK_DATA = 64  # bytes
SHORT_PAYLOAD_PREFIX = "relay:"
PAYLOADS_KEPT = 4096


def new_key() -> str:
    return SHORT_PAYLOAD_PREFIX + secrets.token_urlsafe(12)


def fits(payload: str) -> bool:
    """Whether `payload` can be callback data as it is."""
    return len(payload.encode("utf-8")) <= MAX_CALLBACK_DATA


class PayloadMap(Protocol):
    """Long payloads under short keys."""

    async def key(self, payload: str) -> str:
        """The short key of `payload` (the same one while it is kept)."""
        ...

    async def payload(self, key: str) -> str | None:
        """The payload kept under `key`; None if it was forgotten (or never kept)."""
        ...


class LocalPayloads:
    """The newest `kept` long payloads, in this process's memory."""

    def __init__(self, kept: int = PAYLOADS_KEPT) -> None:
        self._kept = kept
        self._payloads: OrderedDict[str, str] = OrderedDict()

    async def key(self, payload: str) -> str:
        for key, known in self._payloads.items():
            if known == payload:
                self._payloads.move_to_end(key)
                return key
        key = new_key()
        self._payloads[key] = payload
        while len(self._payloads) > self._kept:
            self._payloads.popitem(last=False)
        return key

    async def payload(self, key: str) -> str | None:
        return self._payloads.get(key)


async def callback_data(payloads: PayloadMap, payload: str) -> str:
    """`payload` as a button's callback data."""
    return payload if fits(payload) else await payloads.key(payload)


async def pressed_payload(payloads: PayloadMap, data: str) -> str | None:
    """The payload behind a pressed button's callback data; None if it was forgotten."""
    if data.startswith(SHORT_PAYLOAD_PREFIX):
        return await payloads.payload(data)
    return data
