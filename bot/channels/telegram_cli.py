"""Developer commands for the Telegram channel.

    python -m bot.channels.telegram poll [--rasa http://localhost:5005]
    python -m bot.channels.telegram set-webhook https://your-host
    python -m bot.channels.telegram delete-webhook

`poll` is for a machine without a public HTTPS address: it long-polls getUpdates
and POSTs each update, unchanged and with the secret header, to the local Rasa
server's webhook, so the channel handles it exactly as in production. Telegram
refuses getUpdates while a webhook is set: run `delete-webhook` first.

`set-webhook` registers `<url>/webhooks/relay_telegram/webhook` (the path is
added if missing) with the secret, the update types the channel handles and
`--max-connections` (Telegram's default, 40, unless given): how many updates Telegram
may have in flight at once. It sends a chat's next update once the webhook answered
the one before (https://grammy.dev/guide/deployment-types; the Bot API reference does
not say), and the webhook answers once an update is recorded, so a chat's
updates are recorded in update_id order and handled so (telegram_queue.py); 1 has
Telegram send every update after the one before, should that ever not hold, at the
cost of throughput.

Reads TELEGRAM_BOT_TOKEN, TELEGRAM_WEBHOOK_SECRET and (optionally)
TELEGRAM_BASE_URL from the environment.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import warnings
from collections.abc import Mapping
from typing import Any

import httpx
from telegram import Bot
from telegram.error import Conflict, TelegramError
from telegram.warnings import PTBUserWarning

from bot.channels.telegram import ALLOWED_UPDATES, SECRET_HEADER, SECRET_PATTERN
from bot.channels.telegram_output import DEFAULT_BASE_URL, NAME

logger = logging.getLogger(__name__)

WEBHOOK_PATH = f"/webhooks/{NAME}/webhook"
POLL_SECONDS = 30  # how long one getUpdates call waits for news
RETRY_SECONDS = 3.0  # after Telegram or Rasa could not be reached
MAX_CONNECTIONS = 40  # Telegram's default for setWebhook's max_connections

NO_TOKEN = "Set TELEGRAM_BOT_TOKEN to the token BotFather gave you."
NO_SECRET = "Set TELEGRAM_WEBHOOK_SECRET (1-256 characters of A-Z, a-z, 0-9, _ and -)."
NOT_HTTPS = "Telegram only calls webhooks over HTTPS: give an https:// URL."
BAD_MAX_CONNECTIONS = "--max-connections must be 1-100 (what setWebhook accepts)."
WEBHOOK_IS_SET = (
    "Telegram refuses getUpdates while a webhook is set: "
    "run `python -m bot.channels.telegram delete-webhook` first."
)
REFUSED_HINT = (
    "Does the Rasa server run with the same TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET?"
)


class Refused(Exception):
    """The local webhook refuses updates for good (wrong secret, channel disabled)."""


def webhook_url(url: str) -> str:
    """`url`, with the channel's webhook path added unless it is already there."""
    url = url.rstrip("/")
    return url if url.endswith(WEBHOOK_PATH) else url + WEBHOOK_PATH


async def get_updates(bot: Bot, offset: int, timeout: int) -> list[dict[str, Any]]:
    """Raw updates from getUpdates (as Telegram would POST them to a webhook)."""
    with warnings.catch_warnings():  # PTB suggests Bot.get_updates, which parses them
        warnings.simplefilter("ignore", PTBUserWarning)
        result = await bot.do_api_request(
            "get_updates",
            api_kwargs={"offset": offset, "timeout": timeout, "allowed_updates": ALLOWED_UPDATES},
            read_timeout=timeout + 10,
        )
    return list(result or [])


async def forward(http: httpx.AsyncClient, url: str, secret: str, update: dict[str, Any]) -> bool:
    """POSTs one update to the webhook; False if it should be tried again later."""
    try:
        answer = await http.post(url, json=update, headers={SECRET_HEADER: secret})
    except httpx.HTTPError as error:
        logger.warning("could not reach %s: %s", url, error)
        return False
    if answer.status_code in (403, 404, 503):
        raise Refused(f"{url} answered {answer.status_code}: {answer.text.strip()}")
    if answer.status_code >= 300:
        logger.warning("%s answered %s: %s", url, answer.status_code, answer.text.strip())
        return False
    return True


async def poll(
    bot: Bot,
    url: str,
    secret: str,
    stop: asyncio.Event | None = None,
    timeout: int = POLL_SECONDS,
    retry_seconds: float = RETRY_SECONDS,
) -> None:
    """Forwards updates from getUpdates to the webhook at `url` until `stop` is set."""
    stop = stop or asyncio.Event()
    offset = 0
    async with httpx.AsyncClient(timeout=30) as http:
        while not stop.is_set():
            try:
                updates = await get_updates(bot, offset, timeout)
            except Conflict:
                raise
            except TelegramError as error:
                logger.warning("getUpdates failed: %s", error)
                await asyncio.sleep(retry_seconds)
                continue
            for update in updates:
                if not await forward(http, url, secret, update):
                    await asyncio.sleep(retry_seconds)
                    break  # the same update again with the next getUpdates
                offset = int(update["update_id"]) + 1


async def _run(args: argparse.Namespace, token: str, secret: str, base_url: str) -> int:
    async with Bot(token, base_url=base_url) as bot:
        if args.command == "delete-webhook":
            await bot.delete_webhook()
            print("Webhook deleted; updates wait for `poll`.")
            return 0
        if args.command == "set-webhook":
            target = webhook_url(args.url)
            await bot.set_webhook(
                target,
                secret_token=secret,
                allowed_updates=ALLOWED_UPDATES,
                max_connections=args.max_connections,
            )
            print(
                f"Telegram now sends @{bot.username}'s updates to {target} "
                f"({args.max_connections} at most at once)"
            )
            return 0
        target = webhook_url(args.rasa)
        print(f"Forwarding @{bot.username}'s updates to {target} (Ctrl-C stops)")
        try:
            await poll(bot, target, secret)
        except Conflict:
            print(WEBHOOK_IS_SET, file=sys.stderr)
            return 1
        except Refused as refused:
            print(f"{refused}\n{REFUSED_HINT}", file=sys.stderr)
            return 1
        return 0


def main(argv: list[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.channels.telegram")
    commands = parser.add_subparsers(dest="command", required=True)
    polling = commands.add_parser("poll", help="forward getUpdates to a local Rasa server")
    polling.add_argument("--rasa", default="http://localhost:5005", help="the Rasa server")
    setting = commands.add_parser("set-webhook", help="have Telegram POST updates to a URL")
    setting.add_argument("url", help="https://your-host (the webhook path is added)")
    setting.add_argument(
        "--max-connections",
        type=int,
        default=MAX_CONNECTIONS,
        help=f"updates Telegram may send at once, 1-100 (default {MAX_CONNECTIONS})",
    )
    commands.add_parser("delete-webhook", help="stop Telegram's POSTs (needed before poll)")
    args = parser.parse_args(argv)

    env = os.environ if environ is None else environ
    token = env.get("TELEGRAM_BOT_TOKEN", "").strip()
    secret = env.get("TELEGRAM_WEBHOOK_SECRET", "").strip()
    base_url = env.get("TELEGRAM_BASE_URL", "").strip() or DEFAULT_BASE_URL
    if not token:
        parser.error(NO_TOKEN)
    if args.command != "delete-webhook" and not SECRET_PATTERN.fullmatch(secret):
        parser.error(NO_SECRET)
    if args.command == "set-webhook" and not args.url.startswith("https://"):
        parser.error(NOT_HTTPS)
    if args.command == "set-webhook" and not 1 <= args.max_connections <= 100:
        parser.error(BAD_MAX_CONNECTIONS)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    try:
        return asyncio.run(_run(args, token, secret, base_url))
    except KeyboardInterrupt:
        return 0
    except TelegramError as error:
        print(f"Telegram said: {error}", file=sys.stderr)
        return 1
