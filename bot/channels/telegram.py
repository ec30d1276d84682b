"""Relay's Telegram channel: the Bot API's webhook in, python-telegram-bot's Bot out.

Telegram POSTs each update to `/webhooks/relay_telegram/webhook` with the secret
it was given in setWebhook; we check it in constant time, answer 200 at once and
handle the update in the background (Telegram waits for our answer, and resends
on errors). Each update is handled once, and the updates of a chat in order.

- Text (new or edited) goes to Rasa through the handoff gate, as the chat's
  conversation (`telegram-<chat id>`, bot/identity.py: no other channel can name
  it), with the user's first name, language and username as message metadata.
  `/start` becomes `/greet` and `/help` `/ask_capabilities` (what the bot can do,
  as buttons); any other typed text reaches NLU without a leading `/`, so customers cannot type
  intent payloads: only the bot's own buttons send those.
- Button presses (callback queries) are answered, then sent on as the button's payload.
- Stickers, photos, voice, locations and other non-text messages get the domain's
  `utter_telegram_unsupported` without going through NLU.
- In groups, the bot answers only messages that mention it, reply to it, or are
  commands; the group is one conversation. Service messages are ignored.

Without a token (TELEGRAM_BOT_TOKEN empty) the channel is disabled: Rasa starts
as usual and `GET /webhooks/relay_telegram/` answers 503.

`python -m bot.channels.telegram poll|set-webhook|delete-webhook`: see telegram_cli.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hmac
import json
import logging
import re
import sys
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from telegram import Update, User
from telegram.constants import ChatAction

from bot import identity
from bot.channels.inbound import CLIENT_KEY, MAX_TEXT, clean_text
from bot.channels.replies import domain_text
from bot.channels.telegram_output import (
    DEFAULT_BASE_URL,
    NAME,
    TelegramClient,
    TelegramOutput,
)
from bot.channels.telegram_updates import (
    GROUPS,
    addressed,
    chat_key,
    metadata,
    pressed,
    user_text,
)
from bot.handoff.gate import Gate

__all__ = ["TelegramInput", "TelegramOutput", "TelegramConfigError", "NAME"]

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what setWebhook accepts
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
UNSUPPORTED = "utter_telegram_unsupported"
SEEN_UPDATES = 2048
CLOSE_SECONDS = 10  # on shutdown, how long updates still being handled may take

NOT_CONFIGURED = "Telegram is not configured"
MISSING_TOKEN_KEY = (
    "credentials.yml: the relay_telegram channel needs a `token` key (token: ${TELEGRAM_BOT_TOKEN})"
)
MISSING_SECRET = (
    "TELEGRAM_WEBHOOK_SECRET must be set when TELEGRAM_BOT_TOKEN is: Telegram sends it with "
    "every update so that nobody else can post to the webhook"
)
BAD_SECRET = "TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -"
BAD_BASE_URL = "TELEGRAM_BASE_URL must start with http:// or https://"


class TelegramConfigError(ValueError):
    """The channel's credentials are incomplete or invalid."""


class RecentIds:
    """The last `size` ids seen (an LRU set), to handle each update once."""

    def __init__(self, size: int = SEEN_UPDATES) -> None:
        self._size = size
        self._ids: OrderedDict[int, None] = OrderedDict()

    def add(self, key: int) -> bool:
        """Remembers `key`; False if it was already there."""
        if key in self._ids:
            self._ids.move_to_end(key)
            return False
        self._ids[key] = None
        if len(self._ids) > self._size:
            self._ids.popitem(last=False)
        return True


class TelegramInput(InputChannel):
    """Telegram's webhook; without a client (no token) it is disabled.

    Args:
        client: The bot's connection to the Bot API.
        webhook_secret: The secret Telegram sends in every webhook call.
    """

    def __init__(self, client: TelegramClient | None = None, webhook_secret: str = "") -> None:
        self.enabled = client is not None
        self._secret = webhook_secret.encode()
        self.client = client
        self._unsupported = domain_text(UNSUPPORTED) if self.enabled else ""
        self._seen = RecentIds()
        self._chats: dict[str, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    @classmethod
    def name(cls) -> str:
        return NAME

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TelegramInput:
        if not credentials or "token" not in credentials:
            raise TelegramConfigError(MISSING_TOKEN_KEY)
        token = str(credentials.get("token") or "").strip()
        if not token:
            _warn_disabled()
            return cls()
        secret = str(credentials.get("webhook_secret") or "").strip()
        if not secret:
            raise TelegramConfigError(MISSING_SECRET)
        if not SECRET_PATTERN.fullmatch(secret):
            raise TelegramConfigError(BAD_SECRET)
        base_url = str(credentials.get("base_url") or "").strip() or DEFAULT_BASE_URL
        if not base_url.startswith(("http://", "https://")):
            raise TelegramConfigError(BAD_BASE_URL)
        return cls(TelegramClient(token, base_url), webhook_secret=secret)

    def get_output_channel(self) -> OutputChannel | None:
        return TelegramOutput(self.client) if self.client else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        telegram = Blueprint("relay_telegram_webhook", __name__)

        @telegram.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            if not self.enabled:
                return response.json({"status": NOT_CONFIGURED}, 503)
            return response.json({"status": "ok"})

        if not self.enabled:
            return telegram
        gate = Gate(on_new_message)

        @telegram.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            """Accepts an update from Telegram and handles it in the background."""
            given = (request.headers.get(SECRET_HEADER) or "").encode()
            if not hmac.compare_digest(given, self._secret):
                return response.json({"error": "forbidden"}, 403)
            if (request.content_type or "").split(";")[0].strip() != "application/json":
                return response.json({"error": "send application/json"}, 415)
            try:
                payload = json.loads(request.body)
            except (ValueError, UnicodeDecodeError):
                payload = None
            update_id = payload.get("update_id") if isinstance(payload, dict) else None
            if type(update_id) is not int:
                return response.json({"error": "not a Telegram update"}, 400)
            if not self._seen.add(update_id):
                return response.json({"status": "duplicate"})
            gate.app = request.app
            self._in_order(chat_key(payload), self._handle(payload, gate.deliver))
            return response.json({"status": "ok"})

        @telegram.listener("after_server_stop")
        async def close(app: Any, loop: Any) -> None:
            await self.close()

        return telegram

    def _in_order(self, chat: str, work: Coroutine[Any, Any, None]) -> None:
        """Runs `work` in the background, after the same chat's earlier updates."""
        previous = self._chats.get(chat)

        async def run() -> None:
            if previous is not None:
                await asyncio.wait([previous])
            await work

        task = asyncio.create_task(run())
        self._chats[chat] = task
        self._tasks.add(task)
        task.add_done_callback(functools.partial(self._finished, chat))

    def _finished(self, chat: str, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if self._chats.get(chat) is task:
            del self._chats[chat]

    async def idle(self) -> None:
        """Waits until every update received so far has been handled (for tests, shutdown)."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    async def close(self) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.idle(), CLOSE_SECONDS)
        if self.client is not None:
            await self.client.close()

    async def _handle(
        self, payload: dict[str, Any], deliver: Callable[[UserMessage], Awaitable[Any]]
    ) -> None:
        try:
            await self._handle_update(payload, deliver)
        except Exception:  # a bad update must not stop the next ones
            logger.exception("telegram update %s could not be handled", payload.get("update_id"))

    async def _handle_update(
        self, payload: dict[str, Any], deliver: Callable[[UserMessage], Awaitable[Any]]
    ) -> None:
        assert self.client is not None
        bot = await self.client.bot()
        update = Update.de_json(payload, bot)
        me = bot.bot
        if update.callback_query is not None:
            query = update.callback_query
            await self.client.call("answer_callback_query", callback_query_id=query.id)
            chat = query.message.chat.id if query.message else query.from_user.id
            text = pressed(query, self.client.payload)
            if text:
                await self._to_rasa(str(chat), text, query.from_user, deliver)
            else:
                logger.warning("telegram button %r in chat %s: payload forgotten", query.data, chat)
            return
        message = update.message or update.edited_message
        if message is None:
            logger.debug("telegram update %s ignored (%s)", update.update_id, list(payload))
            return
        if message.chat.type in GROUPS and not addressed(message, me):
            return
        chat_id = str(message.chat.id)
        if message.text:
            text = user_text(clean_text(message.text), me)
            if text:
                await self._to_rasa(chat_id, text, message.from_user, deliver)
        elif message.effective_attachment is not None:
            conversation = identity.conversation_id(identity.TELEGRAM, chat_id)
            await TelegramOutput(self.client).send_text_message(conversation, self._unsupported)

    async def _to_rasa(
        self,
        chat_id: str,
        text: str,
        user: User | None,
        deliver: Callable[[UserMessage], Awaitable[Any]],
    ) -> None:
        assert self.client is not None
        await self.client.call("send_chat_action", chat_id, action=ChatAction.TYPING)
        client = f"telegram:{user.id if user else chat_id}"
        await deliver(
            UserMessage(
                text[:MAX_TEXT],
                TelegramOutput(self.client),
                sender_id=identity.conversation_id(identity.TELEGRAM, chat_id),
                input_channel=self.name(),
                metadata={**metadata(user), CLIENT_KEY: client},
            )
        )


@functools.lru_cache(maxsize=1)
def _warn_disabled() -> None:
    logger.warning("TELEGRAM_BOT_TOKEN is empty: the Telegram channel is disabled")


if __name__ == "__main__":
    from bot.channels.telegram_cli import main

    sys.exit(main())
