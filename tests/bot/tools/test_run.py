"""The process supervisor behind `make run` (the full start is covered in tests/e2e)."""

from __future__ import annotations

import http.server
import subprocess
import sys
import threading

from bot.tools.run import stop, wait_until_up


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
