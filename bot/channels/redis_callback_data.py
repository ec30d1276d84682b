"""Long button payloads kept in Redis, so any process can read a press (see callback_data.py).

`relay:telegram:payload:<key>` holds the payload and `relay:telegram:payload-key:<sha256
of the payload>` its key, so a payload sent again reuses its key; both expire
PAYLOAD_DAYS after the payload was last sent (a button that old answers with its title).
While Redis is down, payloads are kept and looked up in this process's memory too.
"""

from __future__ import annotations

import hashlib

from redis.asyncio import Redis

from bot import shared_redis
from bot.channels.callback_data import LocalPayloads, new_key
from bot.shared_redis import RedisDown, SharedRedis

PAYLOAD_DAYS = 30


class RedisPayloads:
    """Long payloads under short keys, in Redis; in memory while it is down."""

    def __init__(self, redis: SharedRedis, days: float = PAYLOAD_DAYS) -> None:
        self._redis = redis
        self._seconds = int(days * 86400)
        self._local = LocalPayloads()

    @staticmethod
    def _payload_key(key: str) -> str:
        return shared_redis.key("telegram", "payload", key)

    @staticmethod
    def _key_of(payload: str) -> str:
        digest = hashlib.sha256(payload.encode()).hexdigest()
        return shared_redis.key("telegram", "payload-key", digest)

    async def key(self, payload: str) -> str:
        async def keep(client: Redis) -> str:
            known = await client.get(self._key_of(payload))
            if known and await client.expire(self._payload_key(known), self._seconds):
                await client.expire(self._key_of(payload), self._seconds)
                return str(known)
            key = new_key()
            async with client.pipeline(transaction=True) as both:
                both.set(self._payload_key(key), payload, ex=self._seconds)
                both.set(self._key_of(payload), key, ex=self._seconds)
                await both.execute()
            return key

        try:
            return await self._redis.run(keep)
        except RedisDown:
            return await self._local.key(payload)

    async def payload(self, key: str) -> str | None:
        try:
            found = await self._redis.run(lambda client: client.get(self._payload_key(key)))
        except RedisDown:
            found = None
        return str(found) if found is not None else await self._local.payload(key)
