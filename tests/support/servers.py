"""Real Redis and PostgreSQL servers for the tests that claim to work with them.

Each starts once per test session on a free loopback port (bot/tools/scaled/servers.py);
`redis_url` gives each test an emptied database. Where Debian's package is missing the
tests are skipped, unless RELAY_REQUIRE_SERVERS=1 (set by CI), which makes it an error.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.tools.scaled.servers import PostgresServer, RedisServer, ServerMissing
from bot.tools.soak.stack import free_port


def _missing(error: ServerMissing) -> None:
    if os.environ.get("RELAY_REQUIRE_SERVERS") == "1":
        pytest.fail(str(error))
    pytest.skip(str(error))


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"), free_port())
    try:
        server.start()
    except ServerMissing as error:
        _missing(error)
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The URL of a real Redis database, emptied for this test."""
    import redis

    client = redis.Redis.from_url(redis_server.url)
    client.flushdb()
    client.close()
    return redis_server.url


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    # Not under pytest's temporary directory: that is private to root, and as root the
    # server runs as Debian's `postgres` user, who must reach its cluster.
    directory = Path(tempfile.mkdtemp(prefix="relay-test-pg-"))
    server = PostgresServer(directory, free_port(), secrets.token_urlsafe(16))
    try:
        server.start()
    except ServerMissing as error:
        shutil.rmtree(directory, ignore_errors=True)
        _missing(error)
    yield server
    server.stop()
    shutil.rmtree(directory, ignore_errors=True)
