"""A local stand-in for Telegram's Bot API, for the Telegram channel's tests.

An aiohttp app on 127.0.0.1 (in a thread of its own, so both synchronous and
asyncio tests can use it) that answers `POST /bot<token>/<method>` as Telegram
does, records every call, hands out queued updates to getUpdates, and can be
told to answer a method with 429 (retry_after), 403, 400, or too slowly.
Point a Bot at it with `base_url=api.base_url`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "123:abc"
BOT_USER = {
    "id": 999000,
    "is_bot": True,
    "first_name": "Relay",
    "username": "relay_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


@dataclass
class Call:
    """One request the stand-in received."""

    method: str
    params: dict[str, str]
    at: float  # time.monotonic()
    fault: str | None = None

    @property
    def chat_id(self) -> str | None:
        return self.params.get("chat_id")

    @property
    def text(self) -> str:
        return self.params.get("text", "")

    def json(self, key: str) -> Any:
        value = self.params.get(key)
        return json.loads(value) if value is not None else None


@dataclass
class Fault:
    kind: str  # "retry_after", "forbidden", "bad_request", "conflict" or "slow"
    seconds: float = 0


@dataclass
class TelegramApi:
    """The stand-in server; `start()` it, `stop()` it, read `calls`."""

    token: str = TOKEN
    calls: list[Call] = field(default_factory=list)
    port: int = 0
    _faults: dict[str, deque[Fault]] = field(default_factory=lambda: defaultdict(deque))
    _updates: list[dict[str, Any]] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _loop: asyncio.AbstractEventLoop | None = None
    _runner: web.AppRunner | None = None
    _thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    # Control, from the tests

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self._faults.clear()
            self._updates.clear()

    def fail(self, method: str, kind: str, seconds: float = 0, times: int = 1) -> None:
        """The next `times` calls of `method` fail as `kind` (slow: answer after `seconds`)."""
        with self._lock:
            self._faults[method].extend(Fault(kind, seconds) for _ in range(times))

    def queue_updates(self, *updates: dict[str, Any]) -> None:
        """Updates for getUpdates to hand out."""
        with self._lock:
            self._updates.extend(updates)

    def requests(self, method: str | None = None, chat_id: str | None = None) -> list[Call]:
        """The calls so far that succeeded, optionally of one method and chat."""
        with self._lock:
            return [
                call
                for call in self.calls
                if call.fault is None
                and (method is None or call.method == method)
                and (chat_id is None or call.chat_id == chat_id)
            ]

    def wait_for(
        self, check: Callable[[list[Call]], bool], seconds: float = 30, method: str | None = None
    ) -> list[Call]:
        """Polls (blocking) until `check(requests(method))` holds; returns those requests."""
        deadline = time.monotonic() + seconds
        while True:
            calls = self.requests(method)
            if check(calls) or time.monotonic() > deadline:
                return calls
            time.sleep(0.1)

    # Serving

    def start(self) -> TelegramApi:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the Telegram stand-in did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    async def _shutdown(self) -> None:
        """Ends requests still waiting (slow answers, long polls), then the server."""
        pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()

    def _run(self, ready: threading.Event) -> None:
        loop = self._loop = asyncio.new_event_loop()
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        runner = self._runner = web.AppRunner(app, access_log=None)
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        self.port = runner.addresses[0][1]
        ready.set()
        loop.run_forever()
        loop.close()

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await _params(request)
        with self._lock:
            fault = self._faults[method].popleft() if self._faults[method] else None
            self.calls.append(Call(method, params, time.monotonic(), fault.kind if fault else None))
        if fault is not None:
            if fault.kind == "slow":
                await asyncio.sleep(fault.seconds)
            elif fault.kind == "retry_after":
                description = f"Too Many Requests: retry after {int(fault.seconds)}"
                return _error(429, description, {"retry_after": int(fault.seconds)})
            elif fault.kind == "forbidden":
                return _error(403, "Forbidden: bot was blocked by the user")
            elif fault.kind == "bad_request":
                return _error(400, "Bad Request: chat not found")
            elif fault.kind == "conflict":
                return _error(409, "Conflict: can't use getUpdates while webhook is active")
        if method == "getUpdates":
            return await self._get_updates(params)
        return web.json_response({"ok": True, "result": self._result(method, params)})

    def _result(self, method: str, params: dict[str, str]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method == "getWebhookInfo":
            return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        if method in ("sendMessage", "sendPhoto"):
            chat = params.get("chat_id", "0")
            message: dict[str, Any] = {
                "message_id": next(self._ids),
                "date": int(time.time()),
                "chat": {"id": int(chat) if chat.lstrip("-").isdigit() else 0, "type": "private"},
                "from": BOT_USER,
            }
            if method == "sendMessage":
                message["text"] = params.get("text", "")
            else:
                message["photo"] = [
                    {"file_id": "p1", "file_unique_id": "u1", "width": 90, "height": 90}
                ]
            if "reply_markup" in params:
                message["reply_markup"] = json.loads(params["reply_markup"])
            return message
        return True

    async def _get_updates(self, params: dict[str, str]) -> web.Response:
        offset = int(params.get("offset") or 0)
        for _ in range(10):  # a short long-poll
            with self._lock:
                ready = [u for u in self._updates if u["update_id"] >= offset]
            if ready:
                return web.json_response({"ok": True, "result": ready})
            await asyncio.sleep(0.05)
        return web.json_response({"ok": True, "result": []})


def _error(code: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=code)


async def _params(request: web.Request) -> dict[str, str]:
    """The call's parameters as Telegram reads them (form fields or JSON), values as text."""
    if request.content_type == "application/json":
        body = await request.json() if request.can_read_body else {}
        return {
            key: value if isinstance(value, str) else json.dumps(value)
            for key, value in body.items()
        }
    form = await request.post()
    return {key: str(value) for key, value in form.items()}


# Updates as Telegram sends them

_update_ids = itertools.count(500_000)
MAYA = {
    "id": 1001,
    "is_bot": False,
    "first_name": "Maya",
    "last_name": "Patel",
    "username": "mayap",
    "language_code": "en",
}


def private_chat(user: dict[str, Any]) -> dict[str, Any]:
    chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
    if "username" in user:
        chat["username"] = user["username"]
    return chat


def message_update(
    text: str | None = None,
    user: dict[str, Any] = MAYA,
    chat: dict[str, Any] | None = None,
    kind: str = "message",
    update_id: int | None = None,
    **content: Any,
) -> dict[str, Any]:
    """An update with a message (or edited_message) as Telegram sends it."""
    message: dict[str, Any] = {
        "message_id": next(_update_ids) % 100_000,
        "from": user,
        "chat": chat or private_chat(user),
        "date": int(time.time()),
        **content,
    }
    if kind == "edited_message":
        message["edit_date"] = message["date"] + 5
    if text is not None:
        message["text"] = text
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"offset": 0, "length": len(command), "type": "bot_command"}]
    return {"update_id": update_id or next(_update_ids), kind: message}


def callback_update(
    data: str,
    user: dict[str, Any] = MAYA,
    chat: dict[str, Any] | None = None,
    keyboard: list[list[dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """A button press under one of the bot's messages."""
    message: dict[str, Any] = {
        "message_id": 77,
        "from": BOT_USER,
        "chat": chat or private_chat(user),
        "date": int(time.time()),
        "text": "Here's what I can help with:",
    }
    if keyboard:
        message["reply_markup"] = {"inline_keyboard": keyboard}
    return {
        "update_id": next(_update_ids),
        "callback_query": {
            "id": f"cq-{next(_update_ids)}",
            "from": user,
            "message": message,
            "chat_instance": "-4810001",
            "data": data,
        },
    }
