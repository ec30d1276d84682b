"""bot/tools/scaled/servers.py: Debian's redis-server and PostgreSQL 15, started for real."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
import redis
import sqlalchemy

from bot.tools.scaled import servers
from bot.tools.scaled.servers import PostgresServer, RedisServer, ServerFailed, ServerMissing
from bot.tools.soak.stack import free_port
from tests.support.servers import missing_server, port_is_free


def _flag(command: list[str], name: str) -> str:
    """The value after `name` in `command`."""
    return command[command.index(name) + 1]


def _engine(server: PostgresServer, password: str | None = None) -> sqlalchemy.engine.Engine:
    url = server.url if password is None else server.url.replace(server.password, password, 1)
    return sqlalchemy.create_engine(url, poolclass=sqlalchemy.pool.NullPool)


@pytest.fixture
def redis_here(tmp_path: Path) -> Iterator[RedisServer]:
    """A RedisServer of this test's own, not started; stopped after the test."""
    server = RedisServer(tmp_path / "redis", free_port())
    yield server
    server.stop()


@pytest.fixture
def postgres_here(passable_dir: Path) -> Iterator[PostgresServer]:
    """A PostgresServer of this test's own with no cluster yet, not started; stopped after."""
    server = PostgresServer(passable_dir / "postgres", free_port(), secrets.token_urlsafe(16))
    yield server
    server.stop()


# Redis


def test_redis_listens_on_loopback_only_without_persistence(redis_here: RedisServer) -> None:
    try:
        command = redis_here.command()
    except ServerMissing as error:
        missing_server(error)
    assert _flag(command, "--bind") == "127.0.0.1"
    assert _flag(command, "--port") == str(redis_here.port)
    assert _flag(command, "--save") == ""  # no RDB snapshots
    assert _flag(command, "--appendonly") == "no"
    assert _flag(command, "--dir") == str(redis_here.directory)


def test_redis_starts_answers_ping_and_stops(redis_here: RedisServer) -> None:
    try:
        redis_here.start()
    except ServerMissing as error:
        missing_server(error)
    assert redis_here.url == f"redis://127.0.0.1:{redis_here.port}/0"
    client = redis.Redis.from_url(redis_here.url, socket_timeout=5)
    try:
        assert client.ping() is True
    finally:
        client.close()

    redis_here.stop()
    assert redis_here.process is not None and redis_here.process.poll() is not None
    assert port_is_free(redis_here.port)
    assert not list(redis_here.directory.glob("*.rdb"))  # nothing was saved on the way out
    redis_here.stop()  # stopping twice is harmless


def test_redis_missing_is_named(redis_here: RedisServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(servers.shutil, "which", lambda name: None)
    with pytest.raises(ServerMissing, match="apt-get install redis-server"):
        redis_here.start()
    assert redis_here.process is None


# PostgreSQL


def test_postgres_listens_on_loopback_only_and_keeps_the_password_off_its_command(
    postgres_here: PostgresServer,
) -> None:
    try:
        command = postgres_here.command()
    except ServerMissing as error:
        missing_server(error)
    assert "listen_addresses=127.0.0.1" in command
    assert f"unix_socket_directories={postgres_here.directory}" in command
    assert "fsync=on" in command
    assert postgres_here.password not in " ".join(command)
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        assert command[:4] == ["runuser", "-u", servers.POSTGRES_USER, "--"]


def test_postgres_initialises_once_and_its_data_survives_a_restart(
    postgres_here: PostgresServer,
) -> None:
    try:
        assert postgres_here.initialise() is True
    except ServerMissing as error:
        missing_server(error)
    assert not (postgres_here.directory / "initdb.pw").exists()  # the password left no file
    postgres_here.start()
    engine = _engine(postgres_here)
    try:
        with engine.begin() as connection:
            owner = connection.execute(
                sqlalchemy.text(
                    "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = :name"
                ),
                {"name": "relay"},
            ).scalar_one()
            assert owner == "relay"
            connection.execute(sqlalchemy.text("CREATE TABLE kept (note text)"))
            connection.execute(sqlalchemy.text("INSERT INTO kept VALUES ('still here')"))
    finally:
        engine.dispose()

    postgres_here.stop()
    assert port_is_free(postgres_here.port)
    assert postgres_here.initialise() is False  # the cluster is there: not made again
    postgres_here.start()
    engine = _engine(postgres_here)
    try:
        with engine.connect() as connection:
            notes = connection.execute(sqlalchemy.text("SELECT note FROM kept")).scalars().all()
    finally:
        engine.dispose()
    assert notes == ["still here"]


def test_postgres_creates_the_database_after_a_first_start_that_failed(
    postgres_here: PostgresServer,
) -> None:
    """A first start that made the cluster and then failed (its port was taken) leaves no
    database; the next start must still create it."""
    try:
        postgres_here.initialise()
    except ServerMissing as error:
        missing_server(error)
    postgres_here.start()
    engine = _engine(postgres_here)
    try:
        with engine.connect() as connection:
            assert connection.execute(sqlalchemy.text("SELECT current_database()")).scalar_one()
    finally:
        engine.dispose()


def test_postgres_stops_cleanly_while_a_client_is_still_connected(
    postgres_here: PostgresServer,
) -> None:
    """Fast shutdown: the client is disconnected and the cluster is left shut down, not
    crashed (as root, runuser used to SIGKILL PostgreSQL 2 s into its smart shutdown)."""
    try:
        postgres_here.start()
    except ServerMissing as error:
        missing_server(error)
    client = psycopg2.connect(
        host="127.0.0.1",
        port=postgres_here.port,
        user=postgres_here.user,
        password=postgres_here.password,
        dbname=postgres_here.database,
    )
    try:
        postgres_here.stop()
    finally:
        client.close()
    assert postgres_here.process is not None and postgres_here.process.returncode == 0
    assert port_is_free(postgres_here.port)
    control = subprocess.run(
        [postgres_here._program("pg_controldata"), str(postgres_here.cluster)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert re.search(r"^Database cluster state:\s+shut down$", control, re.MULTILINE), control


def test_the_password_works_over_tcp_and_a_wrong_one_is_refused(
    postgres_server: PostgresServer,
) -> None:
    engine = _engine(postgres_server)
    try:
        with engine.connect() as connection:
            method = connection.execute(sqlalchemy.text("SHOW password_encryption")).scalar_one()
            stored = connection.execute(
                sqlalchemy.text("SELECT rolpassword FROM pg_authid WHERE rolname = 'relay'")
            ).scalar_one()
            rules = connection.execute(
                sqlalchemy.text("SELECT DISTINCT type, auth_method FROM pg_hba_file_rules")
            ).all()
    finally:
        engine.dispose()
    assert method == "scram-sha-256"
    assert stored.startswith("SCRAM-SHA-256$")
    assert {auth for _, auth in rules} == {"scram-sha-256"}  # no trust, no md5, local or TCP

    wrong = _engine(postgres_server, password=postgres_server.password + "x")
    try:
        with pytest.raises(sqlalchemy.exc.OperationalError, match="password authentication"):
            wrong.connect()
    finally:
        wrong.dispose()


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs PostgreSQL as another user")
def test_a_directory_the_postgres_user_cant_reach_is_explained() -> None:
    private = Path(tempfile.mkdtemp(prefix="relay-test-private-"))  # 0700, root's
    server = PostgresServer(private / "postgres", free_port(), secrets.token_urlsafe(16))
    try:
        with pytest.raises(ServerFailed, match="can't be reached by the `postgres` user"):
            server.start()
        assert server.process is None
        assert not (server.directory / "initdb.pw").exists()
    finally:
        server.stop()
        shutil.rmtree(private, ignore_errors=True)


def test_postgres_missing_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before anything else is tried: without the package there is no `postgres` user
    either, and a directory it can't reach is not what the user needs to hear."""
    monkeypatch.setattr(servers, "POSTGRES_BIN", tmp_path / "no-postgresql")
    monkeypatch.setattr(servers.shutil, "which", lambda name: None)
    server = PostgresServer(tmp_path / "postgres", free_port(), "secret")
    with pytest.raises(ServerMissing, match="apt-get install postgresql"):
        server.start()
    assert server.process is None
    assert not (tmp_path / "postgres" / "initdb.pw").exists()


def test_postgres_programs_are_found_or_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = PostgresServer(tmp_path / "postgres", free_port(), "secret")
    try:
        found = server.programs()
    except ServerMissing as error:
        missing_server(error)
    assert [Path(program).name for program in found] == ["initdb", "postgres", "pg_ctl"]
    assert all(Path(program).exists() for program in found)
    monkeypatch.setattr(servers, "POSTGRES_BIN", tmp_path / "no-postgresql")
    monkeypatch.setattr(servers.shutil, "which", lambda name: None)
    with pytest.raises(ServerMissing, match="initdb is not installed"):
        server.programs()
    assert not (tmp_path / "postgres").exists()  # nothing was made on the way
