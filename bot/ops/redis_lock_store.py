"""One conversation at a time across every Rasa process: a ticket lock in Redis.

Rasa processes a conversation's messages one at a time under its lock store. With
several Rasa processes behind a load balancer the lock must live in Redis, but
Rasa 3.6's own `RedisLockStore` reads the whole lock, adds a ticket and writes it
back in separate calls: two processes that take a ticket at the same moment get the
same number, both think it is their turn and process the same conversation at once,
and the one that finishes first deletes the lock under the other (measured by
`python -m bot.tools.lock_race`). Its calls also block the event loop.

This store takes each step in one atomic Redis script, without blocking:
- a ticket is the next value of the conversation's counter (INCR), added to the
  conversation's queue (a sorted set) with a key of its own on a short lease
  (LEASE_SECONDS) that its process renews while it waits and works, up to the lock's
  lifetime (Rasa's 60 s, TICKET_LOCK_LIFETIME): a process killed while holding it holds
  up the conversation for seconds, not for the whole lifetime as Rasa's stores do;
- it is a ticket's turn when it is the lowest live ticket in the queue (expired ones
  are dropped on the way), so messages are served in the order they arrived;
- a finished ticket is removed at once, and the next waiter (polling every
  POLL_SECONDS) goes ahead.

If Redis can't be reached the customer is still answered: the conversation is locked
in this process only (Rasa's in-memory store), with one warning per outage. Redis is
reached through a `SharedRedis` (bot/shared_redis.py), with the outage policy of the
flood brakes and Telegram's pacing: short timeouts, and after a failure Redis is left
alone for a few seconds, so an outage costs a message at most one timeout.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, LockError, LockStore
from redis.asyncio import Redis

from bot.shared_redis import RedisDown, SharedRedis

logger = logging.getLogger(__name__)

KEY_PREFIX = "relay:lock:"
POLL_SECONDS = 0.02
# A ticket's lease: renewed every third of it while its process lives, so a killed
# process holds up its conversation for at most this long, whatever the lock's lifetime.
LEASE_SECONDS = 5.0
WARN_EVERY_SECONDS = 60.0

# KEYS: counter, queue, ticket-key prefix; ARGV: lifetime ms, keys' lifetime ms.
_ISSUE = """
local number = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[2], number, number)
redis.call('SET', KEYS[3] .. number, '1', 'PX', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return number
"""
# KEYS: queue, ticket-key prefix. The lowest live ticket, or -1 when none is left.
_SERVING = """
while true do
  local head = redis.call('ZRANGE', KEYS[1], 0, 0)
  if #head == 0 then return -1 end
  if redis.call('EXISTS', KEYS[2] .. head[1]) == 1 then return tonumber(head[1]) end
  redis.call('ZREM', KEYS[1], head[1])
end
"""
# KEYS: queue, ticket-key prefix; ARGV: the ticket.
_FINISH = """
redis.call('DEL', KEYS[2] .. ARGV[1])
redis.call('ZREM', KEYS[1], ARGV[1])
return 0
"""


async def _extend(client: Redis, key: str, lease_ms: int) -> None:
    await client.pexpire(key, lease_ms)


def _cancel(task: asyncio.Task[None] | None) -> None:
    if task is not None:
        task.cancel()


class RedisLockStore(LockStore):
    """Rasa's lock store interface on Redis, atomic and non-blocking (module docstring).

    endpoints.yml names it with `type: bot.ops.redis_lock_store.RedisLockStore` and the
    server's `url` (redis://host:port/db); Rasa passes that as `endpoint_config`.

    Args:
        endpoint_config: Rasa's endpoint configuration (its `url`).
        url: The Redis URL, instead of an endpoint configuration.
        redis: The Redis to use, instead of one made from the URL.
    """

    def __init__(
        self,
        endpoint_config: Any = None,
        *,
        url: str | None = None,
        redis: SharedRedis | None = None,
    ) -> None:
        super().__init__()
        url = url or (endpoint_config.url if endpoint_config is not None else None)
        if redis is None and not url:
            raise ValueError("the Redis lock store needs a url (RELAY_REDIS_URL)")
        self._redis = redis or SharedRedis(str(url))
        self._local = InMemoryLockStore()
        self._warned_at = -WARN_EVERY_SECONDS

    @staticmethod
    def _keys(conversation_id: str) -> tuple[str, str, str]:
        # The braces keep a conversation's keys in one slot of a Redis cluster.
        base = f"{KEY_PREFIX}{{{conversation_id}}}"
        return f"{base}:next", f"{base}:queue", f"{base}:ticket:"

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = 1,
    ) -> AsyncIterator[TicketLock]:
        """Holds the conversation's lock for the block; waits for earlier messages first.

        Raises:
            LockError: The ticket expired while waiting (an earlier message took longer
                than the lock's lifetime).
        """
        counter, queue, prefix = self._keys(conversation_id)
        lifetime_ms = max(1, int(lock_lifetime * 1000))
        lease_ms = max(1, int(min(lock_lifetime, LEASE_SECONDS) * 1000))
        renewing: asyncio.Task[None] | None = None
        ticket = -1
        try:
            keys = [counter, queue, prefix]
            ticket = int(await self._redis.script(_ISSUE, keys, [lease_ms, 2 * lifetime_ms]))
            renewing = asyncio.create_task(
                self._renew(f"{prefix}{ticket}", lease_ms, lock_lifetime)
            )
            await self._wait_for_turn(conversation_id, ticket, queue, prefix)
        except RedisDown as error:
            _cancel(renewing)
            self._warn(error)
            async with self._local.lock(
                conversation_id, lock_lifetime, wait_time_in_seconds
            ) as held:
                yield held
            return
        except BaseException:  # gave up waiting (LockError, cancelled): leave the queue
            _cancel(renewing)
            await self._leave(queue, prefix, ticket)
            raise
        try:
            yield TicketLock(conversation_id)
        finally:
            _cancel(renewing)
            await self._leave(queue, prefix, ticket)

    async def _leave(self, queue: str, prefix: str, ticket: int) -> None:
        try:
            await self._redis.script(_FINISH, [queue, prefix], [ticket])
        except RedisDown as error:  # the ticket's lease runs out by itself
            self._warn(error)

    async def _renew(self, key: str, lease_ms: int, lifetime: float) -> None:
        """Extends the ticket's lease while its process lives, for at most `lifetime`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + lifetime
        while True:
            await asyncio.sleep(lease_ms / 3000)
            if loop.time() >= deadline:
                return  # held too long: the lease lapses and the next message goes ahead
            try:
                await self._redis.run(functools.partial(_extend, key=key, lease_ms=lease_ms))
            except RedisDown:
                pass

    async def _wait_for_turn(
        self, conversation_id: str, ticket: int, queue: str, prefix: str
    ) -> None:
        while True:
            serving = int(await self._redis.script(_SERVING, [queue, prefix], []))
            if serving == ticket:
                return
            if serving == -1 or serving > ticket:
                raise LockError(
                    f"The lock of conversation '{conversation_id}' expired while waiting."
                )
            await asyncio.sleep(POLL_SECONDS)

    def _warn(self, error: RedisDown) -> None:
        now = time.monotonic()
        if now - self._warned_at >= WARN_EVERY_SECONDS:
            self._warned_at = now
            logger.warning(
                "Redis can't be reached (%s): conversations are locked in this process only "
                "until it is back.",
                type(error.error).__name__ if error.error else "it failed a moment ago",
            )

    async def close(self) -> None:
        await self._redis.close()

    # Rasa's base class reads and writes whole locks with these; this store never does.
    def get_lock(self, conversation_id: str) -> TicketLock | None:
        return None

    def save_lock(self, lock: TicketLock) -> None:
        raise NotImplementedError("RedisLockStore keeps tickets in Redis scripts")

    def delete_lock(self, conversation_id: str) -> None:
        raise NotImplementedError("RedisLockStore keeps tickets in Redis scripts")
