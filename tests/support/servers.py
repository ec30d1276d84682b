"""Real Redis and PostgreSQL servers for the tests that claim to work with them.

Each starts once per test session on a free loopback port (bot/tools/scaled/servers.py);
`redis_url` gives each test an emptied database. Where Debian's package is missing the
tests are skipped, unless RELAY_REQUIRE_SERVERS=1 (set by CI), which makes it an error.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.tools.scaled.servers import PostgresServer, RedisServer, ServerMissing
from bot.tools.soak.stack import free_port


def missing_server(error: ServerMissing) -> None:
    """Skips the test for a server that is not installed (fails it where CI requires it)."""
    if os.environ.get("RELAY_REQUIRE_SERVERS") == "1":
        pytest.fail(str(error))
    pytest.skip(str(error))


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"), free_port())
    try:
        server.start()
    except ServerMissing as error:
        missing_server(error)
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
        missing_server(error)
    yield server
    server.stop()
    shutil.rmtree(directory, ignore_errors=True)


def port_is_free(port: int) -> bool:
    """Whether nothing listens on 127.0.0.1:`port` (a server that stopped let it go)."""
    with socket.socket() as sock:
        # As the servers themselves do: connections closed a moment ago (TIME_WAIT) don't count.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.fixture
def passable_dir() -> Iterator[Path]:
    """An empty directory under /tmp that others may pass through (0711), removed after.

    pytest's own temporary directories are private to root, and as root PostgreSQL runs
    as Debian's `postgres` user (nginx's workers as `nobody`), who must reach their files.
    """
    directory = Path(tempfile.mkdtemp(prefix="relay-test-"))
    directory.chmod(0o711)
    yield directory
    shutil.rmtree(directory, ignore_errors=True)
