"""bot/tools/scaled/nginx.py: the configuration, and a real nginx in front of two backends."""

from __future__ import annotations

import http.server
import re
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.tools.scaled.nginx import NginxServer, render
from bot.tools.scaled.servers import ServerMissing
from bot.tools.soak.stack import free_port
from tests.support.servers import missing_server, port_is_free

REQUESTS = 8


@dataclass
class Backend:
    """A tiny HTTP server in a thread that answers with its name (a stand-in replica)."""

    name: str
    server: http.server.ThreadingHTTPServer
    forwarded_for: list[str]

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _backend(name: str) -> Backend:
    forwarded_for: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            forwarded_for.append(self.headers.get("X-Forwarded-For", ""))
            body = name.encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = _answer
        do_POST = _answer

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return Backend(name, server, forwarded_for)


def _get(url: str, headers: dict[str, str] | None = None, data: bytes | None = None) -> str:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200
        return str(answer.read().decode())


@pytest.fixture
def backends() -> Iterator[list[Backend]]:
    started = [_backend("one"), _backend("two")]
    yield started
    for backend in started:
        if backend.server.socket.fileno() != -1:
            backend.stop()


@pytest.fixture
def nginx(passable_dir: Path, backends: list[Backend]) -> Iterator[NginxServer]:
    """nginx started in front of the two backends; stopped after the test."""
    server = NginxServer(
        passable_dir / "nginx", free_port(), tuple(backend.port for backend in backends)
    )
    try:
        server.start()
    except ServerMissing as error:
        missing_server(error)
    yield server
    server.stop()


# The configuration


def test_every_replica_is_in_the_upstream(tmp_path: Path) -> None:
    config = render(tmp_path, 5005, (5011, 5012, 5013))
    upstream = re.search(r"upstream relay_rasa \{(.*?)\}", config, re.DOTALL)
    assert upstream is not None
    servers = re.findall(r"^\s*server 127\.0\.0\.1:(\d+)\b", upstream.group(1), re.MULTILINE)
    assert servers == ["5011", "5012", "5013"]
    assert "least_conn;" in upstream.group(1)


def test_it_listens_on_loopback_only(tmp_path: Path) -> None:
    config = render(tmp_path, 5005, (5011,))
    assert re.findall(r"^\s*listen\s+(\S+);", config, re.MULTILINE) == ["127.0.0.1:5005"]


def test_it_forwards_the_client_address_and_never_retries_what_a_replica_received(
    tmp_path: Path,
) -> None:
    config = render(tmp_path, 5005, (5011, 5012))
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in config
    retries = re.findall(r"^\s*proxy_next_upstream\s+([^;]*);", config, re.MULTILINE)
    assert retries == ["error timeout"]
    assert "non_idempotent" not in config


def test_its_files_stay_in_its_directory(tmp_path: Path) -> None:
    config = render(tmp_path, 5005, (5011,))
    paths = re.findall(r"^\s*(?:pid|error_log|access_log|\w+_temp_path)\s+(\S+)", config, re.M)
    assert len(paths) == 8
    assert all(path.startswith(f"{tmp_path}/") for path in paths), paths


def test_nginx_accepts_the_rendered_configuration(passable_dir: Path) -> None:
    server = NginxServer(passable_dir / "nginx", free_port(), (free_port(), free_port()))
    try:
        program = server.command()[0]
    except ServerMissing as error:
        missing_server(error)
    server.write_config()
    checked = subprocess.run(
        [program, "-t", "-c", str(server.config), "-p", str(server.directory), "-e", "stderr"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr


# A real nginx


def test_requests_are_spread_over_both_replicas_and_logged(
    nginx: NginxServer, backends: list[Backend]
) -> None:
    url = f"http://127.0.0.1:{nginx.port}/"
    answers = [_get(url) for _ in range(REQUESTS)]
    assert set(answers) == {"one", "two"}

    # nginx writes a request's line once it has sent the answer: the last one may come
    # a moment after the client has read it.
    deadline = time.monotonic() + 5
    while True:
        log = nginx.access_log.read_text(encoding="utf-8")
        served = re.findall(r"upstream=127\.0\.0\.1:(\d+) upstream_status=200", log)
        if len(served) >= REQUESTS or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert len(served) == REQUESTS
    assert set(served) == {str(backend.port) for backend in backends}


def test_the_client_address_is_passed_on(nginx: NginxServer, backends: list[Backend]) -> None:
    url = f"http://127.0.0.1:{nginx.port}/"
    _get(url)
    _get(url, headers={"X-Forwarded-For": "203.0.113.9"})
    seen = backends[0].forwarded_for + backends[1].forwarded_for
    assert sorted(seen) == ["127.0.0.1", "203.0.113.9, 127.0.0.1"]


def test_requests_still_succeed_when_one_replica_is_down(
    nginx: NginxServer, backends: list[Backend]
) -> None:
    backends[1].stop()  # refuses connections from now on
    url = f"http://127.0.0.1:{nginx.port}/webhooks/rest/webhook"
    answers = [_get(url) for _ in range(REQUESTS // 2)]
    # A POST the down replica never received is sent to the other one as well.
    answers += [_get(url, data=b'{"message": "hi"}') for _ in range(REQUESTS // 2)]
    assert answers == ["one"] * REQUESTS


def test_nginx_stops_and_lets_its_port_go(nginx: NginxServer) -> None:
    _get(f"http://127.0.0.1:{nginx.port}/")
    nginx.stop()
    assert nginx.process is not None and nginx.process.poll() is not None
    assert port_is_free(nginx.port)
