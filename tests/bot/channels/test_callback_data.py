"""bot/channels/callback_data.py: long button payloads under short keys, in memory."""

from __future__ import annotations

import asyncio

from bot.channels.callback_data import (
    MAX_CALLBACK_DATA,
    SHORT_PAYLOAD_PREFIX,
    LocalPayloads,
    callback_data,
    pressed_payload,
)

LONG = '/inform{"return_reason": "The zip broke the first time I wore it outside"}'


def test_a_short_payload_is_its_own_callback_data() -> None:
    payloads = LocalPayloads()
    assert asyncio.run(callback_data(payloads, "/order_status")) == "/order_status"
    assert asyncio.run(pressed_payload(payloads, "/order_status")) == "/order_status"


def test_a_long_payload_gets_a_short_key_that_leads_back_to_it() -> None:
    payloads = LocalPayloads()
    key = asyncio.run(callback_data(payloads, LONG))
    assert key.startswith(SHORT_PAYLOAD_PREFIX) and len(key.encode()) <= MAX_CALLBACK_DATA
    assert asyncio.run(callback_data(payloads, LONG)) == key  # the same payload, the same key
    assert asyncio.run(pressed_payload(payloads, key)) == LONG
    assert asyncio.run(pressed_payload(payloads, "relay:never-kept")) is None


def test_only_the_newest_payloads_are_kept() -> None:
    payloads = LocalPayloads(kept=2)
    keys = [asyncio.run(payloads.key(f"{LONG} {n}")) for n in range(3)]
    assert asyncio.run(payloads.payload(keys[0])) is None
    assert asyncio.run(payloads.payload(keys[2])) == f"{LONG} 2"
