"""Debian's Redis and PostgreSQL servers, started on loopback with data of their own.

Both the scaled profile (`make run-scaled`) and the tests that need a real server use
these. Each server runs in the foreground as a child process, listens only on
127.0.0.1, and keeps its files under one directory. PostgreSQL refuses to run as root,
so as root it runs as Debian's `postgres` user, which then owns its directory.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from bot.secret_files import write_secret

START_SECONDS = 30.0
STOP_SECONDS = 10.0
POSTGRES_BIN = Path("/usr/lib/postgresql/15/bin")
POSTGRES_USER = "postgres"  # Debian's account for the server, used when we are root


class ServerMissing(RuntimeError):
    """The server's program is not installed (Debian's package names it)."""


class ServerFailed(RuntimeError):
    """The server did not start (its log says why)."""


def wait_for_port(port: int, process: subprocess.Popen[bytes], seconds: float) -> None:
    """Returns once something accepts connections on 127.0.0.1:`port`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerFailed(f"exited with code {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise ServerFailed(f"nothing listened on port {port} after {seconds:g} s")


def stop_process(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class RedisServer:
    """redis-server on `port`, without persistence (locks and counters are short-lived).

    Args:
        directory: Its working directory and log.
        port: The TCP port on 127.0.0.1.
    """

    directory: Path
    port: int
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def command(self) -> list[str]:
        program = shutil.which("redis-server")
        if program is None:
            raise ServerMissing("redis-server is missing (Debian: apt-get install redis-server)")
        return [
            program,
            *("--port", str(self.port)),
            *("--bind", "127.0.0.1"),
            *("--dir", str(self.directory)),
            *("--save", ""),
            *("--appendonly", "no"),
            *("--logfile", str(self.directory / "redis.log")),
        ]

    def start(self) -> RedisServer:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL)
        wait_for_port(self.port, self.process, START_SECONDS)
        return self

    def stop(self) -> None:
        stop_process(self.process)


@dataclass
class PostgresServer:
    """A PostgreSQL 15 cluster in `directory`, with one database and user for Relay.

    Args:
        directory: The cluster (made by initdb on first start), its socket and log.
        port: The TCP port on 127.0.0.1.
        password: The password of the `user` (md5/scram over TCP).
        database: The database Relay uses; its owner is `user`.
        max_connections: PostgreSQL's connection limit (each Rasa process keeps a pool).
    """

    directory: Path
    port: int
    password: str
    user: str = "relay"
    database: str = "relay"
    max_connections: int = 100
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        """SQLAlchemy URL of Relay's database."""
        return f"postgresql://{self.user}:{self.password}@127.0.0.1:{self.port}/{self.database}"

    @property
    def cluster(self) -> Path:
        return self.directory / "cluster"

    def _program(self, name: str) -> str:
        program = POSTGRES_BIN / name
        if not program.exists():
            found = shutil.which(name)
            if found is None:
                raise ServerMissing(f"{name} is not installed (Debian: apt-get install postgresql)")
            return found
        return str(program)

    def programs(self) -> list[str]:
        """initdb, postgres and pg_ctl, as found.

        Raises:
            ServerMissing: One of them is not installed.
        """
        return [self._program(name) for name in ("initdb", "postgres", "pg_ctl")]

    def _as_owner(self, command: list[str]) -> list[str]:
        """The command as the cluster's owner: ourselves, or `postgres` when we are root."""
        if os.geteuid() != 0:
            return command
        return ["runuser", "-u", POSTGRES_USER, "--", *command]

    def _own(self, path: Path) -> None:
        if os.geteuid() == 0:
            shutil.chown(path, POSTGRES_USER, POSTGRES_USER)

    def initialise(self) -> bool:
        """Creates the cluster if there is none; returns whether it did."""
        if (self.cluster / "PG_VERSION").exists():
            return False
        # First: without the package there is no `postgres` user to own the directory either.
        initdb = self._program("initdb")
        self.directory.mkdir(parents=True, exist_ok=True)
        self._own(self.directory)
        reachable = subprocess.run(self._as_owner(["test", "-w", str(self.directory)]), check=False)
        if reachable.returncode != 0:
            raise ServerFailed(
                f"{self.directory} can't be reached by the `{POSTGRES_USER}` user that runs "
                "PostgreSQL (a parent directory is private): choose a directory under one "
                "that others may pass through"
            )
        password_file = self.directory / "initdb.pw"
        write_secret(password_file, (self.password + "\n").encode())  # 0600 from the start
        self._own(password_file)
        try:
            subprocess.run(
                self._as_owner(
                    [
                        initdb,
                        *("--pgdata", str(self.cluster)),
                        *("--username", self.user),
                        *("--pwfile", str(password_file)),
                        *("--auth-local", "scram-sha-256"),
                        *("--auth-host", "scram-sha-256"),
                        *("--encoding", "UTF8"),
                        *("--locale", "C"),
                    ]
                ),
                check=True,
                stdout=subprocess.DEVNULL,
            )
        finally:
            password_file.unlink()
        return True

    def command(self) -> list[str]:
        return self._as_owner(
            [
                self._program("postgres"),
                *("-D", str(self.cluster)),
                *("-p", str(self.port)),
                *("-c", "listen_addresses=127.0.0.1"),
                *("-c", f"unix_socket_directories={self.directory}"),
                *("-c", f"max_connections={self.max_connections}"),
                *("-c", "fsync=on"),
            ]
        )

    def start(self) -> PostgresServer:
        """Starts the server (initialising the cluster and database on first use)."""
        self.initialise()
        log = (self.directory / "postgres.log").open("ab")
        self.process = subprocess.Popen(
            self.command(), stdin=subprocess.DEVNULL, stdout=log, stderr=log
        )
        wait_for_port(self.port, self.process, START_SECONDS)
        # On every start, not only after initdb: a first start that failed after initdb
        # (its port taken, say) would otherwise leave a cluster without the database.
        self._create_database()
        return self

    def _create_database(self) -> None:
        """Makes `database` owned by `user` unless it exists (initdb made only `postgres`)."""
        import sqlalchemy

        admin = sqlalchemy.create_engine(
            self.url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT"
        )
        try:
            deadline = time.monotonic() + START_SECONDS
            while True:  # the port opens a moment before the server takes logins
                try:
                    with admin.connect() as connection:
                        exists = connection.execute(
                            sqlalchemy.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                            {"name": self.database},
                        ).first()
                        if exists is None:
                            connection.execute(
                                sqlalchemy.text(f'CREATE DATABASE "{self.database}"')
                            )
                    return
                except sqlalchemy.exc.OperationalError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
        finally:
            admin.dispose()

    def stop(self) -> None:
        """Stops the server with PostgreSQL's fast shutdown, leaving the cluster consistent.

        Not by signalling our child: as root that is runuser, which answers SIGTERM by
        passing it on (PostgreSQL's smart shutdown, which waits for every client) and
        SIGKILLing PostgreSQL 2 s later, so a client still connected meant a crashed
        cluster (recovery on the next start) and orphaned backends.
        """
        if self.process is None or self.process.poll() is not None:
            return
        subprocess.run(
            self._as_owner(
                [
                    self._program("pg_ctl"),
                    "stop",
                    *("--pgdata", str(self.cluster)),
                    *("--mode", "fast"),  # disconnects clients, rolls back their transactions
                    *("--timeout", f"{STOP_SECONDS:.0f}"),
                ]
            ),
            check=False,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            # After Ctrl-C PostgreSQL may be gone already ("Is server running?"): the wait
            # below, and the signals after it, are what count.
            stderr=subprocess.DEVNULL,
        )
        try:
            self.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            stop_process(self.process)
