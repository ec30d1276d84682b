"""Sending to Telegram: the output channel, and the client that paces and retries its calls.

Every call goes through `TelegramClient.request`, the one place where Telegram's
errors are handled: flood control (`RetryAfter`) is waited out, timeouts and
network errors are retried with exponential backoff, and a chat that blocked the
bot (`Forbidden`) or a request Telegram refuses (`BadRequest`) is logged and given
up, as `Undelivered` with a reason in words an agent reads (the `*_REASON`
constants). `TelegramClient.call` gives up quietly (None), and `TelegramOutput`
keeps the reasons in `undelivered`: one customer can never break the conversation
of another, and whoever sent a message (an agent, through the console) can learn
that it did not arrive, and why.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import OutputChannel
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.request import HTTPXRequest

from bot import identity
from bot.channels.callback_data import (
    LocalPayloads,
    PayloadMap,
    callback_data,
    pressed_payload,
)
from bot.channels.rate_limit import Pacer, RateLimiter

logger = logging.getLogger(__name__)

NAME = "relay_telegram"
DEFAULT_BASE_URL = "https://api.telegram.org/bot"
MAX_TEXT = 4096  # Telegram's limit, in UTF-16 code units
TRIES = 3  # for timeouts and network errors
FLOOD_WAITS = 3  # how many `retry_after`s we wait out for one call
TIMEOUT_SECONDS = 10.0
UNPACED = {"send_chat_action"}  # not messages: Telegram's message limits don't count them

# Why a message did not reach the customer: phrases an agent reads in the console
# (after something like "Not delivered: "), so lower-case and without a full stop.
BLOCKED_REASON = "the customer has blocked the bot on Telegram (or removed it from the chat)"
REJECTED_REASON = "Telegram refused the message ({detail})"
UNREACHABLE_REASON = "Telegram could not be reached"
FLOOD_REASON = "Telegram is limiting how fast the bot may send messages; try again in a minute"
FAILED_REASON = "Telegram did not accept the message ({detail})"


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """`text` in pieces Telegram accepts, cut at paragraph, line or word ends when possible."""
    pieces: list[str] = []
    rest = text.strip()
    while _utf16_length(rest) > limit:
        end = limit
        while _utf16_length(rest[:end]) > limit:
            end -= 1
        cuts = (rest.rfind(separator, 0, end) for separator in ("\n\n", "\n", " "))
        cut = next((cut for cut in cuts if cut > end // 2), end)
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def _seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 deprecates the int form; accept both
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def _detail(error: TelegramError) -> str:
    text = str(error).strip().rstrip(".")
    return text[:1].lower() + text[1:] if text else "no reason given"


class Undelivered(Exception):
    """A call to the Bot API that was given up.

    Attributes:
        method: The Bot method (`send_message`, ...).
        chat_id: The chat it was for, if any.
        reason: Why, in words for an agent (one of the `*_REASON` constants, filled in).
    """

    def __init__(self, method: str, chat_id: str | None, reason: str) -> None:
        super().__init__(reason)
        self.method = method
        self.chat_id = chat_id
        self.reason = reason

    def __str__(self) -> str:
        return f"telegram {self.method} to {self.chat_id}: {self.reason}"


class TelegramClient:
    """One bot's connection to the Bot API: created lazily, paced, retried.

    Args:
        token: The bot's token from BotFather.
        base_url: The Bot API's URL; the token is appended to it.
        limiter: Paces messages per chat and overall; by default this process alone,
            until the server shares its services' (`share`).
        payloads: Where long button payloads are kept; by default this process's memory,
            until the server shares its services'.
        timeout: Seconds for connecting to, writing to and reading from the Bot API.
        backoff: Seconds before the first retry of a timed-out call (doubled each time).
        sleep: Coroutine used to wait (injectable for tests).
    """

    def __init__(
        self,
        token: str,
        base_url: str = DEFAULT_BASE_URL,
        limiter: Pacer | None = None,
        payloads: PayloadMap | None = None,
        timeout: float = TIMEOUT_SECONDS,
        backoff: float = 1.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._token = token
        self._base_url = base_url
        self._given = limiter is not None, payloads is not None
        self.limiter: Pacer = limiter or RateLimiter()
        self.payloads: PayloadMap = payloads or LocalPayloads()
        self._timeout = timeout
        self._backoff = backoff
        self._sleep = sleep
        self._bot: Bot | None = None
        self._initialized = False
        self._ready: asyncio.Lock | None = None

    def share(self, limiter: Pacer, payloads: PayloadMap) -> None:
        """Uses the server's pacing and payload map (bot/services.py), unless given others."""
        limiter_given, payloads_given = self._given
        if not limiter_given:
            self.limiter = limiter
        if not payloads_given:
            self.payloads = payloads

    async def bot(self) -> Bot:
        """The initialised Bot (its first use calls getMe)."""
        if self._ready is None:
            self._ready = asyncio.Lock()
        async with self._ready:
            if self._bot is None:
                request = HTTPXRequest(
                    connection_pool_size=32,
                    read_timeout=self._timeout,
                    write_timeout=self._timeout,
                    connect_timeout=self._timeout,
                    pool_timeout=self._timeout,
                )
                self._bot = Bot(self._token, base_url=self._base_url, request=request)
            if not self._initialized:
                await self._bot.initialize()
                self._initialized = True
        return self._bot

    async def close(self) -> None:
        if self._bot is not None:
            if self._initialized:
                await self._bot.shutdown()
            self._bot = None
            self._initialized = False

    async def call(self, method: str, chat_id: str | None = None, **kwargs: Any) -> Any:
        """Calls Bot.`method` like `request`; returns None when it was given up (logged)."""
        try:
            return await self.request(method, chat_id, **kwargs)
        except Undelivered:
            return None

    async def request(self, method: str, chat_id: str | None = None, **kwargs: Any) -> Any:
        """Calls Bot.`method`; a `chat_id` makes it a paced message to that chat.

        Raises:
            Undelivered: The call was given up (and logged): Telegram refused it, was
                unreachable after `TRIES` tries, or still flood-limited after `FLOOD_WAITS`.
        """
        if chat_id is not None:
            kwargs["chat_id"] = chat_id
        failures = flood_waits = 0
        while True:
            try:
                bot = await self.bot()
                if chat_id is not None and method not in UNPACED:
                    await self.limiter.wait(chat_id)
                return await getattr(bot, method)(**kwargs)
            except RetryAfter as error:
                flood_waits += 1
                if flood_waits > FLOOD_WAITS:
                    logger.error("telegram %s to %s: still flood-limited, gave up", method, chat_id)
                    raise Undelivered(method, chat_id, FLOOD_REASON) from error
                logger.warning("telegram %s to %s: %s", method, chat_id, error)
                await self._sleep(_seconds(error))
            except Forbidden as error:
                logger.warning("telegram %s to %s refused (blocked?): %s", method, chat_id, error)
                raise Undelivered(method, chat_id, BLOCKED_REASON) from error
            except BadRequest as error:
                logger.error("telegram %s to %s rejected: %s", method, chat_id, error)
                reason = REJECTED_REASON.format(detail=_detail(error))
                raise Undelivered(method, chat_id, reason) from error
            except NetworkError as error:  # includes TimedOut
                failures += 1
                if failures >= TRIES:
                    logger.error("telegram %s to %s failed: %s", method, chat_id, error)
                    raise Undelivered(method, chat_id, UNREACHABLE_REASON) from error
                await self._sleep(self._backoff * 2 ** (failures - 1))
            except TelegramError as error:
                logger.error("telegram %s to %s failed: %s", method, chat_id, error)
                reason = FAILED_REASON.format(detail=_detail(error))
                raise Undelivered(method, chat_id, reason) from error

    async def callback_data(self, payload: str) -> str:
        """`payload` as a button's callback data, which Telegram limits to 64 bytes."""
        return await callback_data(self.payloads, payload)

    async def payload(self, data: str) -> str | None:
        """The payload behind a button's callback data; None if it has been forgotten."""
        return await pressed_payload(self.payloads, data)

    async def keyboard(self, buttons: list[dict[str, Any]]) -> InlineKeyboardMarkup:
        """Rasa's buttons as an inline keyboard, one button a row."""
        rows = []
        for button in buttons:
            title = str(button.get("title") or button.get("payload") or "")
            if button.get("url"):
                rows.append([InlineKeyboardButton(title, url=str(button["url"]))])
            else:
                data = await self.callback_data(str(button.get("payload") or title))
                rows.append([InlineKeyboardButton(title, callback_data=data)])
        return InlineKeyboardMarkup(rows)

    async def send_text(
        self, chat_id: str, text: str, buttons: list[dict[str, Any]] | None = None
    ) -> None:
        """Sends `text` (split if too long), with `buttons` under its last piece.

        Raises:
            Undelivered: A piece was given up; the pieces after it are not sent.
        """
        pieces = split_text(text) or ([text] if buttons else [])
        for number, piece in enumerate(pieces, start=1):
            markup = await self.keyboard(buttons) if buttons and number == len(pieces) else None
            await self.request("send_message", chat_id, text=piece, reply_markup=markup)


def chat_of(recipient_id: str) -> str:
    """The Telegram chat of a conversation (`telegram-<chat id>`); other ids are refused."""
    return identity.external_id(recipient_id, identity.TELEGRAM)


class TelegramOutput(OutputChannel):
    """Sends Rasa's responses (and agents' replies) to a Telegram chat.

    Recipients are conversation ids; only `telegram-<chat id>` ones are Telegram's.
    Sending never raises into Rasa when Telegram gives up; instead:

    Attributes:
        undelivered: Why messages sent through this output did not reach the customer,
            one short reason each, in words for an agent (e.g. BLOCKED_REASON, "the
            customer has blocked the bot on Telegram ..."; UNREACHABLE_REASON, "Telegram
            could not be reached"). Empty while everything arrived. A new output starts
            empty (the channel makes one per message and per `get_output_channel()`), so
            read it after sending, before sending anything else through the same output.
    """

    def __init__(self, client: TelegramClient) -> None:
        self._client = client
        self.undelivered: list[str] = []

    @classmethod
    def name(cls) -> str:
        return NAME

    async def _sending(self, sent: Awaitable[Any]) -> None:
        try:
            await sent
        except Undelivered as error:
            self.undelivered.append(error.reason)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._sending(self._client.send_text(chat_of(recipient_id), text))

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self._sending(self._client.send_text(chat_of(recipient_id), text, buttons))

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        chat = chat_of(recipient_id)
        await self._sending(self._client.request("send_photo", chat, photo=image))

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        """Custom messages are sent only for their `text` (and `buttons`), if they have one."""
        text = json_message.get("text")
        if isinstance(text, str) and text.strip():
            buttons = json_message.get("buttons")
            await self._sending(
                self._client.send_text(
                    chat_of(recipient_id), text, buttons if isinstance(buttons, list) else None
                )
            )
        else:
            logger.debug("custom message without text not sent to Telegram: %s", json_message)
