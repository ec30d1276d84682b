"""Relay's Telegram channel: the Bot API's webhook in, python-telegram-bot's Bot out.

Telegram POSTs each update to `/webhooks/relay_telegram/webhook` with the secret
it was given in setWebhook; we check it in constant time, record the update in the
ticket database (bot/channels/telegram_inbox.py) and only then answer 200, handling
it in the background (telegram_queue.py). An update that could not be recorded is
answered 500, so Telegram sends it again; one recorded before, by any process, is a
duplicate. Each update is handled once, the updates of a chat in order, and one that
Rasa could not take (the conversation store down) is retried.

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

import functools
import json
import logging
import re
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.exc import SQLAlchemyError
from telegram import Update, User
from telegram.constants import ChatAction

from bot import identity
from bot.channels.gate import Gate
from bot.channels.inbound import CLIENT_KEY, MAX_TEXT, clean_text, same_secret
from bot.channels.telegram_inbox import Inbox
from bot.channels.telegram_output import (
    DEFAULT_BASE_URL,
    NAME,
    TelegramClient,
    TelegramOutput,
)
from bot.channels.telegram_queue import Retries, UpdateQueue
from bot.channels.telegram_updates import (
    GROUPS,
    addressed,
    chat_key,
    metadata,
    pressed,
    user_text,
)
from bot.services import of_app

__all__ = ["TelegramInput", "TelegramOutput", "TelegramConfigError", "NAME"]

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what setWebhook accepts
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
UNSUPPORTED = "utter_telegram_unsupported"

NOT_CONFIGURED = "Telegram is not configured"
DISABLED = "TELEGRAM_BOT_TOKEN is empty: the Telegram channel is disabled"
MISSING_TOKEN_KEY = (
    "credentials.yml: the relay_telegram channel needs a `token` key (token: ${TELEGRAM_BOT_TOKEN})"
)
MISSING_SECRET = (
    "TELEGRAM_WEBHOOK_SECRET must be set when TELEGRAM_BOT_TOKEN is: Telegram sends it with "
    "every update so that nobody else can post to the webhook"
)
BAD_SECRET = "TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -"
BAD_BASE_URL = "TELEGRAM_BASE_URL must start with http:// or https://"
UNRECORDED = "the update could not be recorded; send it again later"
NOT_STARTED = "the Telegram channel's server has not started: it has no inbox yet"


class TelegramConfigError(ValueError):
    """The channel's credentials are incomplete or invalid."""


class TelegramInput(InputChannel):
    """Telegram's webhook; without a client (no token) it is disabled.

    Args:
        client: The bot's connection to the Bot API.
        webhook_secret: The secret Telegram sends in every webhook call.
        inbox: Where updates are recorded; by default the ticket database's
            (`RELAY_SHOP_DB_URL`), which every process of the bot shares.
        retries: When updates Rasa could not take are tried again.
    """

    def __init__(
        self,
        client: TelegramClient | None = None,
        webhook_secret: str = "",
        inbox: Inbox | None = None,
        retries: Retries | None = None,
    ) -> None:
        self.enabled = client is not None
        self._secret = webhook_secret
        self.client = client
        self._unsupported = ""  # the domain's, when the server starts
        self._inbox = inbox
        self._retries = retries
        self.queue: UpdateQueue | None = None

    @classmethod
    def name(cls) -> str:
        return NAME

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TelegramInput:
        if not credentials or "token" not in credentials:
            raise TelegramConfigError(MISSING_TOKEN_KEY)
        token = str(credentials.get("token") or "").strip()
        if not token:
            return cls()  # it says so when its server starts
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

            @telegram.listener("before_server_start")
            async def disabled(app: Any, loop: Any) -> None:
                logger.warning(DISABLED)

            return telegram
        gate = Gate(on_new_message)
        handle = functools.partial(self._handle_update, deliver=gate.deliver)

        @telegram.listener("before_server_start")
        async def prepare(app: Any, loop: Any) -> None:
            """Records updates in the inbox given, or the server's shop database's; paces and
            keeps payloads with the server's services (shared by its processes with Redis);
            reads the domain's answer to what is not text."""
            services = of_app(app)
            self._unsupported = services.replies.text(UNSUPPORTED)
            inbox = self._inbox or Inbox(services.engine)
            assert self.client is not None
            self.client.share(services.telegram_limiter, services.telegram_payloads)
            self.queue = UpdateQueue(inbox, handle, self._retries)

        @telegram.listener("after_server_start")
        async def start(app: Any, loop: Any) -> None:
            """Retries what an earlier run left unhandled, and what Rasa can't take yet."""
            gate.app = app
            self._started().start()

        @telegram.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            """Records an update from Telegram, then handles it in the background."""
            if not same_secret(request.headers.get(SECRET_HEADER), self._secret):
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
            gate.app = request.app
            try:
                accepted = await self._started().accept(update_id, chat_key(payload), payload)
            except SQLAlchemyError as error:
                logger.error(
                    "telegram update %s could not be recorded, answered 500 for Telegram to "
                    "send it again: %s",
                    update_id,
                    error,
                )
                return response.json({"error": UNRECORDED}, 500)
            if not accepted:
                return response.json({"status": "duplicate"})
            return response.json({"status": "ok"})

        @telegram.listener("after_server_stop")
        async def close(app: Any, loop: Any) -> None:
            await self.close()

        return telegram

    def _started(self) -> UpdateQueue:
        if self.queue is None:
            raise RuntimeError(NOT_STARTED)
        return self.queue

    async def idle(self) -> None:
        """Waits until every update received so far was handled or left for a retry (tests)."""
        if self.queue is not None:
            await self.queue.idle()

    async def close(self) -> None:
        """Stops handling (unhandled updates stay recorded for the next start), then the Bot."""
        if self.queue is not None:
            await self.queue.close()
        if self.client is not None:
            await self.client.close()

    async def _handle_update(
        self, payload: dict[str, Any], deliver: Callable[[UserMessage], Awaitable[Any]]
    ) -> None:
        """Handles one update; returns once Rasa took its message (if it had one).

        Raises:
            ConversationUnavailable: Rasa could not take it now: it is tried again later.
        """
        assert self.client is not None
        bot = await self.client.bot()
        update = Update.de_json(payload, bot)
        me = bot.bot
        if update.callback_query is not None:
            query = update.callback_query
            await self.client.call("answer_callback_query", callback_query_id=query.id)
            chat = query.message.chat.id if query.message else query.from_user.id
            text = pressed(query, await self.client.payload(query.data or ""))
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


if __name__ == "__main__":
    from bot.channels.telegram_cli import main

    sys.exit(main())
