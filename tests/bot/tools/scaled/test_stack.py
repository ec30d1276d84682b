"""bot/tools/scaled/stack.py: ports, the environment of Relay's processes, and prepare()
against real PostgreSQL and Redis (the whole stack with Rasa: tests/e2e/test_scaled.py)."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy

from bot.tools.scaled import servers
from bot.tools.scaled import stack as stack_module
from bot.tools.scaled.servers import ServerMissing
from bot.tools.scaled.stack import (
    LOCK_STORE,
    POSTGRES_PASSWORD_FILE,
    ScaledPorts,
    ScaledStack,
    require_servers,
)
from bot.tools.supervisor import Child, Supervisor
from tests.support.servers import missing_server

RELAY_TABLES = {"customers", "orders", "returns", "handoff_tickets", "handoff_outbox"}


class _Recorder(Supervisor):
    """Keeps the children it is given without starting them."""

    def _start(self, child: Child) -> None:
        pass


def _stack(data_dir: Path, replicas: int = 2) -> ScaledStack:
    return ScaledStack(data_dir, data_dir / "relay.tar.gz", ScaledPorts.free(replicas))


@pytest.fixture
def servers_up(passable_dir: Path) -> Iterator[ScaledStack]:
    """A stack whose PostgreSQL and Redis run (and nothing else); stopped after the test."""
    stack = _stack(passable_dir / "scaled")
    try:
        stack.postgres.start()
        stack.redis.start()
    except ServerMissing as error:
        stack.postgres.stop()
        missing_server(error)
    yield stack
    stack.redis.stop()
    stack.postgres.stop()


def test_free_ports_are_distinct() -> None:
    ports = ScaledPorts.free(replicas=3)
    every = [ports.entry, *ports.replicas, ports.actions, ports.postgres, ports.redis]
    assert len(every) == 7
    assert len(set(every)) == len(every)


def test_free_ports_are_distinct_even_when_the_system_offers_one_twice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The system may hand out a port again once it was let go (free_port() lets it go)."""
    offered = iter([6001, 6002, 6001, 6003, 6002, 6004, 6005, 6006])
    monkeypatch.setattr(stack_module, "free_port", lambda: next(offered))
    ports = ScaledPorts.free(replicas=2)
    assert ports == ScaledPorts(
        entry=6001, replicas=(6002, 6003), actions=6004, postgres=6005, redis=6006
    )


def test_the_environment_points_at_the_profiles_servers(tmp_path: Path) -> None:
    stack = _stack(tmp_path)
    env = stack.env()
    postgres = stack.postgres
    assert env["RELAY_SHOP_DB_URL"] == (
        f"postgresql://relay:{postgres.password}@127.0.0.1:{stack.ports.postgres}/relay"
    )
    assert env["RELAY_TRACKER_DIALECT"] == "postgresql"
    assert env["RELAY_TRACKER_HOST"] == f"127.0.0.1:{stack.ports.postgres}"
    assert env["RELAY_TRACKER_DB"] == "relay"
    assert env["RELAY_TRACKER_USER"] == "relay"
    assert env["RELAY_TRACKER_PASSWORD"] == postgres.password
    assert env["RELAY_REDIS_URL"] == f"redis://127.0.0.1:{stack.ports.redis}/0"
    assert env["RELAY_LOCK_STORE"] == LOCK_STORE == "bot.ops.redis_lock_store.RedisLockStore"
    assert env["SANIC_PROXIES_COUNT"] == "1"
    assert env["RELAY_DEMO_DATA"] == "no"
    assert env["RELAY_ACTION_ENDPOINT"] == f"http://127.0.0.1:{stack.ports.actions}/webhook"


def test_extra_environment_wins(tmp_path: Path) -> None:
    stack = ScaledStack(tmp_path, tmp_path / "relay.tar.gz", extra={"RELAY_DEMO_DATA": "yes"})
    assert stack.env()["RELAY_DEMO_DATA"] == "yes"


def test_the_password_is_kept_in_a_private_file_and_reused(tmp_path: Path) -> None:
    first = _stack(tmp_path)
    path = tmp_path / POSTGRES_PASSWORD_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text(encoding="utf-8").strip() == first.postgres.password
    assert len(first.postgres.password) >= 32
    assert _stack(tmp_path).postgres.password == first.postgres.password


def test_the_password_is_never_on_a_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = ScaledStack(
        tmp_path, tmp_path / "relay.tar.gz", ScaledPorts.free(2), supervisor=_Recorder()
    )
    for server in (stack.postgres, stack.redis, stack.nginx):  # nothing really starts
        monkeypatch.setattr(server, "start", lambda server=server: server)
    monkeypatch.setattr(stack, "prepare", lambda: False)
    stack.start()

    children = stack.supervisor.children
    assert [child.name for child in children] == ["action server", "Rasa server 1", "Rasa server 2"]
    password = stack.postgres.password
    commands = [child.command for child in children]
    try:
        commands += [stack.postgres.command(), stack.redis.command()]
    except ServerMissing:
        pass  # the Relay processes' commands are what matter most
    for command in commands:
        assert all(password not in argument for argument in command), command
    for child in children:
        assert child.env["RELAY_TRACKER_PASSWORD"] == password  # the environment carries it
    assert [stack.replica(i).env["SANIC_PROXIES_COUNT"] for i in range(2)] == ["1", "1"]


def test_prepare_creates_the_tables_and_loads_the_demo_data_once(
    servers_up: ScaledStack,
) -> None:
    assert servers_up.prepare() is True
    assert servers_up.prepare() is False  # the shop has data: nothing loaded again

    engine = sqlalchemy.create_engine(servers_up.postgres.url, poolclass=sqlalchemy.pool.NullPool)
    try:
        tables = set(sqlalchemy.inspect(engine).get_table_names())
        with engine.connect() as connection:
            customers = connection.execute(sqlalchemy.text("SELECT count(*) FROM customers"))
            count = customers.scalar_one()
    finally:
        engine.dispose()
    assert RELAY_TABLES <= tables
    assert "events" in tables  # Rasa's SQL tracker store
    assert count > 0


def test_prepare_leaves_the_shop_empty_without_demo_data(servers_up: ScaledStack) -> None:
    servers_up.demo_data = False
    assert servers_up.prepare() is False
    engine = sqlalchemy.create_engine(servers_up.postgres.url, poolclass=sqlalchemy.pool.NullPool)
    try:
        with engine.connect() as connection:
            count = connection.execute(sqlalchemy.text("SELECT count(*) FROM customers"))
            assert count.scalar_one() == 0
    finally:
        engine.dispose()


def test_the_servers_are_checked_before_anything_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    try:
        require_servers()
    except ServerMissing as error:
        missing_server(error)

    def no_nginx(self: object) -> list[str]:
        raise ServerMissing("nginx is missing (Debian: apt-get install nginx-light or nginx)")

    with monkeypatch.context() as patch:
        patch.setattr(stack_module.NginxServer, "command", no_nginx)
        with pytest.raises(ServerMissing, match="nginx is missing"):
            require_servers()
    installed = servers.shutil.which
    monkeypatch.setattr(
        servers.shutil, "which", lambda name: None if name == "redis-server" else installed(name)
    )
    with pytest.raises(ServerMissing, match="apt-get install redis-server"):
        require_servers()
    monkeypatch.setattr(servers, "POSTGRES_BIN", tmp_path / "no-postgresql")
    monkeypatch.setattr(servers.shutil, "which", lambda name: None)
    with pytest.raises(ServerMissing, match="apt-get install postgresql"):
        require_servers()
    assert list(tmp_path.iterdir()) == []  # nothing was made on the way
