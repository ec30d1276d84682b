"""bot/channels/redis_callback_data.py: long payloads in a real Redis, read by any process."""

from __future__ import annotations

import asyncio

import redis

from bot.channels.callback_data import pressed_payload
from bot.channels.redis_callback_data import PAYLOAD_DAYS, RedisPayloads
from bot.shared_redis import SharedRedis
from bot.tools.soak.stack import free_port

LONG = '/inform{"return_reason": "The zip broke the first time I wore it outside"}'


def test_a_key_one_process_made_leads_another_to_the_payload(redis_url: str) -> None:
    sender, presser = RedisPayloads(SharedRedis(redis_url)), RedisPayloads(SharedRedis(redis_url))
    key = asyncio.run(sender.key(LONG))
    assert asyncio.run(pressed_payload(presser, key)) == LONG
    assert asyncio.run(presser.key(LONG)) == key  # sent again, by either: the same key
    assert asyncio.run(presser.payload("relay:never-kept")) is None


def test_both_keys_are_relays_and_expire(redis_url: str) -> None:
    asyncio.run(RedisPayloads(SharedRedis(redis_url)).key(LONG))
    client = redis.Redis.from_url(redis_url)
    keys = sorted(key.decode() for key in client.keys("*"))
    assert len(keys) == 2
    assert keys[0].startswith("relay:telegram:payload-key:")
    assert keys[1].startswith("relay:telegram:payload:relay:")  # the button's key
    assert all(0 < client.ttl(key) <= PAYLOAD_DAYS * 86400 for key in keys)
    client.close()


def test_a_forgotten_payload_gets_a_new_key(redis_url: str) -> None:
    payloads = RedisPayloads(SharedRedis(redis_url))
    first = asyncio.run(payloads.key(LONG))
    client = redis.Redis.from_url(redis_url)
    client.delete(f"relay:telegram:payload:{first}")  # expired
    client.close()
    second = asyncio.run(payloads.key(LONG))
    assert second != first and asyncio.run(payloads.payload(second)) == LONG


def test_with_redis_down_payloads_are_kept_in_this_process() -> None:
    payloads = RedisPayloads(SharedRedis(f"redis://127.0.0.1:{free_port()}/0"))
    key = asyncio.run(payloads.key(LONG))
    assert asyncio.run(payloads.payload(key)) == LONG
