"""The Redis lock store on a real redis-server: one at a time, in order, across stores."""

from __future__ import annotations

import asyncio
import logging
import socket

import pytest
import redis.asyncio as redis
from rasa.core.lock_store import LockError

from bot.ops import redis_lock_store
from bot.ops.redis_lock_store import RedisLockStore
from bot.tools.soak.stack import free_port


def _stores(url: str, count: int) -> list[RedisLockStore]:
    """`count` stores with connections of their own, as `count` Rasa processes have."""
    return [RedisLockStore(url=url) for _ in range(count)]


async def _close(stores: list[RedisLockStore]) -> None:
    for store in stores:
        await store.close()


async def _test_messages_of_one_conversation_are_served_one_at_a_time_in_arrival_order(
    redis_url: str,
) -> None:
    stores = _stores(redis_url, 3)
    inside = 0
    most_inside = 0
    served: list[int] = []

    async def message(number: int) -> None:
        nonlocal inside, most_inside
        async with stores[number % 3].lock("site-burst", lock_lifetime=10):
            inside += 1
            most_inside = max(most_inside, inside)
            served.append(number)
            await asyncio.sleep(0.003)
            inside -= 1

    for store in stores:  # connected and its scripts loaded, as in a running server
        async with store.lock("site-warm-up"):
            pass
    tasks = []
    for number in range(30):  # arrive one after another, faster than they are served
        tasks.append(asyncio.create_task(message(number)))
        await asyncio.sleep(0.005)
    await asyncio.gather(*tasks)
    await _close(stores)

    assert most_inside == 1
    assert served == list(range(30))


async def _test_other_conversations_do_not_wait(redis_url: str) -> None:
    first, second = _stores(redis_url, 2)

    async def other() -> None:
        async with second.lock("site-b"):
            pass

    async with first.lock("site-a"):
        await asyncio.wait_for(other(), timeout=1)
    await _close([first, second])


async def _test_a_ticket_whose_process_died_expires_and_frees_the_conversation(
    redis_url: str,
) -> None:
    store = RedisLockStore(url=redis_url)
    counter, queue, prefix = store._keys("site-crash")
    # A process took a ticket with a 0.3 s lifetime and was killed before finishing.
    await store._redis.script(redis_lock_store._ISSUE, [counter, queue, prefix], [300, 600])
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with store.lock("site-crash", lock_lifetime=10):
        waited = loop.time() - started
    await store.close()
    assert 0.25 <= waited < 2.0


async def _test_a_live_holder_keeps_its_lease_beyond_it(redis_url: str) -> None:
    holder, waiter = _stores(redis_url, 2)
    order: list[str] = []

    async def later() -> None:
        async with waiter.lock("site-long", lock_lifetime=10):
            order.append("waiter")

    async with holder.lock("site-long", lock_lifetime=10):
        waiting = asyncio.create_task(later())
        await asyncio.sleep(1.0)  # more than three leases of 0.3 s
        order.append("holder done")
    await waiting
    await _close([holder, waiter])
    assert order == ["holder done", "waiter"]


async def _test_a_waiter_whose_own_ticket_expired_gets_a_lock_error(redis_url: str) -> None:
    holder, waiter = _stores(redis_url, 2)
    async with holder.lock("site-slow", lock_lifetime=10):
        with pytest.raises(LockError):
            async with waiter.lock("site-slow", lock_lifetime=0.2):
                pass
    await _close([holder, waiter])


async def _test_finished_conversations_leave_no_ticket_behind(redis_url: str) -> None:
    store = RedisLockStore(url=redis_url)
    for _ in range(3):
        async with store.lock("site-tidy"):
            pass
    client = redis.Redis.from_url(redis_url)
    _, queue, _ = store._keys("site-tidy")
    assert await client.zcard(queue) == 0
    keys = [key async for key in client.scan_iter("relay:lock:*")]
    lifetimes = [await client.pttl(key) for key in keys]
    assert all(lifetime > 0 for lifetime in lifetimes)  # nothing is kept forever
    await client.close()
    await store.close()


async def _test_without_redis_the_conversation_is_locked_in_this_process_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = RedisLockStore(url=f"redis://127.0.0.1:{free_port()}/0")  # nothing listens
    caplog.set_level(logging.WARNING, logger="bot.ops.redis_lock_store")
    served = []
    for number in range(3):
        async with store.lock("site-offline"):
            served.append(number)
    await store.close()
    assert served == [0, 1, 2]
    warnings = [r for r in caplog.records if "Redis can't be reached" in r.getMessage()]
    assert len(warnings) == 1


def test_needs_a_url() -> None:
    with pytest.raises(ValueError, match="RELAY_REDIS_URL"):
        RedisLockStore()


def test_rasa_creates_it_from_endpoints(redis_url: str) -> None:
    from rasa.core.lock_store import LockStore
    from rasa.utils.endpoints import EndpointConfig

    config = EndpointConfig(url=redis_url, type="bot.ops.redis_lock_store.RedisLockStore")
    assert isinstance(LockStore.create(config), RedisLockStore)


# pytest runs no coroutines by itself here: each test runs its scenario in a new loop.


def test_messages_of_one_conversation_are_served_one_at_a_time_in_arrival_order(
    redis_url: str,
) -> None:
    asyncio.run(
        _test_messages_of_one_conversation_are_served_one_at_a_time_in_arrival_order(redis_url)
    )


def test_other_conversations_do_not_wait(redis_url: str) -> None:
    asyncio.run(_test_other_conversations_do_not_wait(redis_url))


def test_a_ticket_whose_process_died_expires_and_frees_the_conversation(redis_url: str) -> None:
    asyncio.run(_test_a_ticket_whose_process_died_expires_and_frees_the_conversation(redis_url))


def test_a_waiter_whose_own_ticket_expired_gets_a_lock_error(redis_url: str) -> None:
    asyncio.run(_test_a_waiter_whose_own_ticket_expired_gets_a_lock_error(redis_url))


def test_finished_conversations_leave_no_ticket_behind(redis_url: str) -> None:
    asyncio.run(_test_finished_conversations_leave_no_ticket_behind(redis_url))


def test_without_redis_the_conversation_is_locked_in_this_process_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    asyncio.run(
        _test_without_redis_the_conversation_is_locked_in_this_process_with_one_warning(caplog)
    )


def test_a_live_holder_keeps_its_lease_beyond_it(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(redis_lock_store, "LEASE_SECONDS", 0.3)
    asyncio.run(_test_a_live_holder_keeps_its_lease_beyond_it(redis_url))


async def _test_a_redis_that_stopped_answering_costs_one_message_one_timeout() -> None:
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        store = RedisLockStore(url=f"redis://127.0.0.1:{silent.getsockname()[1]}/0")
        loop = asyncio.get_running_loop()
        took = []
        for _ in range(4):
            started = loop.time()
            async with store.lock("site-silent"):
                took.append(loop.time() - started)
        await store.close()
    # The first waits out the timeout; the next ones don't try Redis again so soon.
    assert 0.3 <= took[0] < 2.0, took
    assert all(seconds < 0.1 for seconds in took[1:]), took


def test_a_redis_that_stopped_answering_costs_one_message_one_timeout() -> None:
    asyncio.run(_test_a_redis_that_stopped_answering_costs_one_message_one_timeout())
