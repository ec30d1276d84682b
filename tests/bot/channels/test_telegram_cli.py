"""bot/channels/telegram_cli.py: set-webhook, delete-webhook and poll, against the stand-in."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from telegram import Bot

from bot.channels.telegram_cli import Refused, main, poll, webhook_url
from tests.e2e.telegram_api import TOKEN, TelegramApi, callback_update, message_update

SECRET = "cli-secret"


@pytest.fixture(scope="module")
def api() -> Iterator[TelegramApi]:
    server = TelegramApi().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def fresh(api: TelegramApi) -> None:
    api.reset()


def env(api: TelegramApi, **values: str) -> dict[str, str]:
    return {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_BASE_URL": api.base_url,
        **values,
    }


class Rasa(BaseHTTPRequestHandler):
    """The local Rasa server's webhook: records what is forwarded; answers `status`."""

    posts: list[dict[str, Any]] = []
    status = 200

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Rasa.posts.append(
            {
                "path": self.path,
                "secret": self.headers.get("X-Telegram-Bot-Api-Secret-Token"),
                "type": self.headers.get("Content-Type"),
                "update": json.loads(body),
            }
        )
        self.send_response(Rasa.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"status": "ok"}')

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def rasa() -> Iterator[str]:
    Rasa.posts, Rasa.status = [], 200
    server = HTTPServer(("127.0.0.1", 0), Rasa)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_the_webhook_path_is_added_once() -> None:
    path = "/webhooks/relay_telegram/webhook"
    assert webhook_url("https://bot.example.com") == f"https://bot.example.com{path}"
    assert webhook_url("https://bot.example.com/") == f"https://bot.example.com{path}"
    assert webhook_url(f"https://bot.example.com{path}") == f"https://bot.example.com{path}"


def test_set_webhook_registers_the_secret_and_the_update_types(api: TelegramApi) -> None:
    assert main(["set-webhook", "https://bot.example.com"], env(api)) == 0
    [call] = api.requests("setWebhook")
    assert call.params["url"] == "https://bot.example.com/webhooks/relay_telegram/webhook"
    assert call.params["secret_token"] == SECRET
    assert call.json("allowed_updates") == ["message", "edited_message", "callback_query"]
    assert call.params["max_connections"] == "40"  # Telegram's default, stated


def test_set_webhook_may_have_telegram_send_one_update_at_a_time(api: TelegramApi) -> None:
    assert main(["set-webhook", "https://bot.example.com", "--max-connections", "1"], env(api)) == 0
    [call] = api.requests("setWebhook")
    assert call.params["max_connections"] == "1"


def test_delete_webhook(api: TelegramApi) -> None:
    assert main(["delete-webhook"], env(api, TELEGRAM_WEBHOOK_SECRET="")) == 0
    assert len(api.requests("deleteWebhook")) == 1


@pytest.mark.parametrize(
    ("argv", "values", "complaint"),
    [
        (["delete-webhook"], {"TELEGRAM_BOT_TOKEN": ""}, "TELEGRAM_BOT_TOKEN"),
        (["poll"], {"TELEGRAM_WEBHOOK_SECRET": ""}, "TELEGRAM_WEBHOOK_SECRET"),
        (["set-webhook", "https://x.example"], {"TELEGRAM_WEBHOOK_SECRET": "a b"}, "A-Z"),
        (["set-webhook", "http://x.example"], {}, "HTTPS"),
        (["set-webhook", "https://x.example", "--max-connections", "0"], {}, "1-100"),
        (["set-webhook", "https://x.example", "--max-connections", "101"], {}, "1-100"),
    ],
    ids=["no token", "no secret", "bad secret", "plain http", "no connection", "too many"],
)
def test_missing_settings_are_explained(
    api: TelegramApi,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    values: dict[str, str],
    complaint: str,
) -> None:
    with pytest.raises(SystemExit) as exit_code:
        main(argv, env(api, **values))
    assert exit_code.value.code == 2
    assert complaint in capsys.readouterr().err
    assert api.calls == []


def run_poll(api: TelegramApi, rasa: str, until: int, offset: int | None = None) -> None:
    """Polls until the local webhook has received `until` posts (and, given an `offset`,
    until a getUpdates has asked for it), or 10 seconds passed."""

    def settled() -> bool:
        if len(Rasa.posts) < until:
            return False
        asked = [call.params.get("offset") for call in api.requests("getUpdates")]
        return offset is None or str(offset) in asked

    async def go() -> None:
        stop = asyncio.Event()
        async with Bot(TOKEN, base_url=api.base_url) as bot:
            task = asyncio.create_task(
                poll(bot, webhook_url(rasa), SECRET, stop, timeout=1, retry_seconds=0.05)
            )
            for _ in range(200):
                if settled() or task.done():
                    break
                await asyncio.sleep(0.05)
            stop.set()
            await asyncio.wait_for(task, 10)

    asyncio.run(go())


def test_poll_forwards_each_update_unchanged_with_the_secret(api: TelegramApi, rasa: str) -> None:
    updates = [message_update("/start"), callback_update("/order_status")]
    api.queue_updates(*updates)
    run_poll(api, rasa, until=2, offset=updates[-1]["update_id"] + 1)
    assert [post["update"] for post in Rasa.posts[:2]] == updates
    assert {post["secret"] for post in Rasa.posts} == {SECRET}
    assert {post["path"] for post in Rasa.posts} == {"/webhooks/relay_telegram/webhook"}
    assert {post["type"] for post in Rasa.posts} == {"application/json"}
    polls = api.requests("getUpdates")
    assert polls[0].params["offset"] == "0"
    assert polls[-1].params["offset"] == str(updates[-1]["update_id"] + 1)
    assert polls[0].json("allowed_updates") == ["message", "edited_message", "callback_query"]


def test_poll_tries_an_update_again_when_rasa_fails(api: TelegramApi, rasa: str) -> None:
    Rasa.status = 500
    update = message_update("hello")
    api.queue_updates(update)
    run_poll(api, rasa, until=2)
    assert [post["update"] for post in Rasa.posts[:2]] == [update, update]
    assert all(call.params["offset"] == "0" for call in api.requests("getUpdates"))


def test_poll_stops_when_rasa_refuses_the_secret(api: TelegramApi, rasa: str) -> None:
    Rasa.status = 403
    api.queue_updates(message_update("hello"))
    with pytest.raises(Refused, match="403"):
        run_poll(api, rasa, until=5)
    assert len(Rasa.posts) == 1


def test_poll_explains_that_a_webhook_is_set(
    api: TelegramApi, rasa: str, capsys: pytest.CaptureFixture[str]
) -> None:
    api.fail("getUpdates", "conflict")
    assert main(["poll", "--rasa", rasa], env(api)) == 1
    assert "delete-webhook" in capsys.readouterr().err
    assert Rasa.posts == []
