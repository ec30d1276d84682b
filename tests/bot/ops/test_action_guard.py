"""bot/ops/action_guard.py: a dead or slow action server is answered by Relay within seconds."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any

import pytest
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

from bot.ops.action_guard import GuardedEndpoint, guard

CALL = {"next_action": "action_check_order_status", "sender_id": "rest-a", "tracker": {}}


class ActionServer(BaseHTTPRequestHandler):
    """Answers with `self.server.status` after `self.server.delay` seconds."""

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        time.sleep(self.server.delay)  # type: ignore[attr-defined]
        body = json.dumps({"events": [], "responses": [{"text": "from the action server"}]})
        self.send_response(self.server.status)  # type: ignore[attr-defined]
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), ActionServer)
    httpd.status, httpd.delay = 200, 0.0  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()


def endpoint(url: str, timeout: float = 1.0) -> tuple[GuardedEndpoint, list[tuple[dict, str]]]:
    answered: list[tuple[dict[str, Any], str]] = []

    async def fallback(call: dict[str, Any], reason: str) -> dict[str, Any]:
        answered.append((call, reason))
        return {"events": [], "responses": [{"response": "utter_action_server_down"}]}

    return GuardedEndpoint(EndpointConfig(url, headers={"X-A": "1"}), fallback, timeout), answered


def call(guarded: GuardedEndpoint) -> Any:
    return asyncio.run(guarded.request(json=dict(CALL), method="post", timeout=300))


def free_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/webhook"


def test_a_working_action_server_is_answered_as_usual(server: ThreadingHTTPServer) -> None:
    guarded, answered = endpoint(f"http://127.0.0.1:{server.server_address[1]}/webhook")
    assert call(guarded)["responses"] == [{"text": "from the action server"}]
    assert answered == [] and guarded.headers == {"X-A": "1"}


def test_a_dead_action_server_is_answered_by_relay_at_once() -> None:
    guarded, answered = endpoint(free_url())
    started = time.monotonic()
    assert call(guarded)["responses"] == [{"response": "utter_action_server_down"}]
    assert time.monotonic() - started < 2
    [(seen, reason)] = answered
    assert seen["next_action"] == "action_check_order_status"
    assert "could not be reached" in reason


def test_a_slow_action_server_is_answered_by_relay_after_the_timeout(
    server: ThreadingHTTPServer,
) -> None:
    server.delay = 3.0  # type: ignore[attr-defined]
    guarded, answered = endpoint(f"http://127.0.0.1:{server.server_address[1]}/webhook", 0.5)
    started = time.monotonic()
    call(guarded)  # Rasa asked for 300 s; the guard allows 0.5
    assert time.monotonic() - started < 2.5
    assert "longer than 0.5 s" in answered[0][1]


def test_a_crashing_action_is_answered_by_relay(server: ThreadingHTTPServer) -> None:
    server.status = 500  # type: ignore[attr-defined]
    guarded, answered = endpoint(f"http://127.0.0.1:{server.server_address[1]}/webhook")
    call(guarded)
    assert "answered 500" in answered[0][1]


def test_a_rejection_is_rasas_to_handle(server: ThreadingHTTPServer) -> None:
    server.status = 400  # type: ignore[attr-defined]
    guarded, answered = endpoint(f"http://127.0.0.1:{server.server_address[1]}/webhook")
    with pytest.raises(ClientResponseError):
        call(guarded)
    assert answered == []


def test_guard_replaces_the_agents_endpoint_once() -> None:
    inner = EndpointConfig("http://127.0.0.1:5055/webhook")
    agent = SimpleNamespace(action_endpoint=inner, processor=SimpleNamespace(action_endpoint=inner))

    async def fallback(call: dict[str, Any], reason: str) -> dict[str, Any]:
        return {}

    assert guard(agent, fallback, 5.0) is True
    assert isinstance(agent.action_endpoint, GuardedEndpoint)
    assert agent.processor.action_endpoint is agent.action_endpoint
    assert agent.action_endpoint.inner is inner and agent.action_endpoint.timeout == 5.0
    assert guard(agent, fallback, 5.0) is False
    assert guard(SimpleNamespace(action_endpoint=None), fallback, 5.0) is False
