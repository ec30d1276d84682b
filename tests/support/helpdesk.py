"""A stand-in helpdesk: a real HTTP server on loopback that records the webhook's POSTs."""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    """One POST as the helpdesk got it (header names in lower case)."""

    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.body)


def free_port() -> int:
    """A loopback port nothing listens on (yet): a helpdesk that is down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Helpdesk:
    """Answers each POST with the next status of `answers`, then 204; call `stop()`."""

    def __init__(self, port: int = 0, answers: list[int] | None = None) -> None:
        self.received: list[Received] = []
        self.answers = list(answers or [])
        self._lock = threading.Lock()
        helpdesk = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {key.lower(): value for key, value in self.headers.items()}
                with helpdesk._lock:
                    helpdesk.received.append(Received(self.path, headers, body))
                    status = helpdesk.answers.pop(0) if helpdesk.answers else 204
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = HTTPServer(("127.0.0.1", port), Handler)
        self.port = int(self._server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def wait_for(self, count: int, seconds: float = 10.0) -> list[Received]:
        """The requests received, once there are `count` of them (or `seconds` passed)."""
        deadline = time.monotonic() + seconds
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return list(self.received)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
