"""bot/tools/run.py: the process supervisor behind `make run` and its signed-in demo link
(the full start is covered in tests/e2e)."""

from __future__ import annotations

import http.server
import subprocess
import sys
import threading
import urllib.parse
from pathlib import Path

import pytest

from bot.channels.widget_session import (
    IDENTITY_SECRET_ENV,
    CustomerSignatureExpired,
    Sessions,
    identity_secret,
)
from bot.tools.run import DEMO_HOURS, signed_in_demo, stop, wait_until_up
from tests.support.clock import SecondsClock


def _sleeper() -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])


def test_wait_gives_up_when_a_process_dies() -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    assert wait_until_up("http://127.0.0.1:9/", [dead], seconds=30) is False


def test_wait_returns_once_the_url_answers() -> None:
    server = http.server.HTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    sleeper = _sleeper()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        assert wait_until_up(url, [sleeper], seconds=30) is True
    finally:
        server.shutdown()
        stop([sleeper])


def test_stop_ends_every_process() -> None:
    processes = [_sleeper(), _sleeper()]
    stop(processes)
    assert all(process.poll() is not None for process in processes)


def test_the_demo_link_signs_maya_in_for_twelve_hours(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(IDENTITY_SECRET_ENV, raising=False)
    clock = SecondsClock()
    query = dict(urllib.parse.parse_qsl(signed_in_demo(tmp_path, now=clock.now)))
    assert query["customer"] == "web-maya"
    assert int(query["expires"]) == clock.now + DEMO_HOURS * 3600 == clock.now + 12 * 3600
    sessions = Sessions(b"relay's own session secret", identity_secret(tmp_path), clock=clock)
    sessions.check_customer(query["customer"], query["expires"], query["signature"])
    clock.now += DEMO_HOURS * 3600
    with pytest.raises(CustomerSignatureExpired):
        sessions.check_customer(query["customer"], query["expires"], query["signature"])


def test_the_demo_link_expires_from_the_current_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(IDENTITY_SECRET_ENV, raising=False)
    query = dict(urllib.parse.parse_qsl(signed_in_demo(tmp_path)))
    Sessions(b"relay's own session secret", identity_secret(tmp_path)).check_customer(
        "web-maya", query["expires"], query["signature"]
    )
