"""bot/shared_redis.py: Relay's keys, and what happens while Redis is down and after."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from bot import shared_redis
from bot.shared_redis import PREFIX, RedisDown, SharedRedis
from bot.tools.scaled.servers import RedisServer
from bot.tools.soak.stack import free_port
from tests.support.clock import SecondsClock


def test_keys_are_in_relays_namespace_and_long_parts_are_hashed() -> None:
    assert shared_redis.key("window", "flood", "c1") == "relay:window:flood:c1"
    long = shared_redis.key("window", "x" * 1000)
    assert long.startswith(PREFIX + "window:") and len(long) < 100


def test_work_runs_on_redis_and_the_url_is_logged_without_its_password(redis_url: str) -> None:
    redis = SharedRedis(redis_url)

    async def ping() -> object:
        try:
            return await redis.run(lambda client: client.ping())
        finally:
            await redis.close()

    assert asyncio.run(ping()) is True
    assert "secret" not in SharedRedis("redis://:secret@10.0.0.5:6380/2").where


def test_an_outage_is_logged_once_and_redis_left_alone_meanwhile(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = SecondsClock()
    redis = SharedRedis(f"redis://127.0.0.1:{free_port()}/0", retry_after=5.0, clock=clock)
    tried = []

    async def work(client: object) -> None:
        tried.append(client)
        await client.ping()  # type: ignore[attr-defined]

    async def attempts(count: int) -> list[str]:
        errors = []
        for _ in range(count):
            with pytest.raises(RedisDown) as down:
                await redis.run(work)
            errors.append(str(down.value))
        return errors

    with caplog.at_level(logging.WARNING, logger="bot.shared_redis"):
        errors = asyncio.run(attempts(3))
        clock.now += 6
        errors += asyncio.run(attempts(1))
    assert len(tried) == 2  # the first, and the first after the pause
    assert "not tried" in errors[1] and "127.0.0.1" in errors[0]
    assert len(caplog.records) == 1 and "falls back" in caplog.records[0].getMessage()


def test_the_end_of_an_outage_is_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, redis_server: RedisServer
) -> None:
    # `redis_server` only for its check that Debian's redis-server is installed.
    port = free_port()
    clock = SecondsClock()
    redis = SharedRedis(f"redis://127.0.0.1:{port}/0", clock=clock)

    async def ping() -> object:
        return await redis.run(lambda client: client.ping())

    with caplog.at_level(logging.INFO, logger="bot.shared_redis"):
        with pytest.raises(RedisDown):
            asyncio.run(ping())
        server = RedisServer(tmp_path, port).start()
        try:
            clock.now += 6
            assert asyncio.run(ping()) and asyncio.run(ping())  # each loop gets its client
        finally:
            server.stop()
    assert [record.levelname for record in caplog.records] == ["WARNING", "INFO"]
    assert "is back" in caplog.records[1].getMessage()
