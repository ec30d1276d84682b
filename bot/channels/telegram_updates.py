"""What a Telegram update means for Relay: who wrote, whether it is for the bot, what it says.

Pure functions over python-telegram-bot's objects, used by the channel (telegram.py).
"""

from __future__ import annotations

import re
from typing import Any

from telegram import CallbackQuery, Message, MessageEntity, User
from telegram.constants import ChatType

# /start greets; /help lists what the bot can do (with topic buttons).
COMMANDS = {"start": "/greet", "help": "/ask_capabilities"}
GROUPS = {ChatType.GROUP, ChatType.SUPERGROUP}


def chat_key(payload: dict[str, Any]) -> str:
    """The chat an update belongs to, from the raw JSON (for ordering only)."""
    for kind in ("message", "edited_message", "callback_query"):
        item = payload.get(kind)
        if isinstance(item, dict):
            item = item.get("message", item) if kind == "callback_query" else item
            chat = item.get("chat") if isinstance(item, dict) else None
            if isinstance(chat, dict):
                return str(chat.get("id"))
    return ""


def metadata(user: User | None) -> dict[str, Any]:
    """What Relay keeps about the writer with each message (what the user chose to share)."""
    if user is None:
        return {}
    values = {
        "telegram_user_id": user.id,
        "first_name": user.first_name,
        "language_code": user.language_code,
        "username": user.username,
    }
    return {key: value for key, value in values.items() if value is not None}


def _entities(message: Message) -> dict[MessageEntity, str]:
    return message.parse_entities() if message.text else message.parse_caption_entities()


def addressed(message: Message, me: User) -> bool:
    """Whether a group message is for the bot: a mention, a reply to it, or a command."""
    reply = message.reply_to_message
    if reply is not None and reply.from_user is not None and reply.from_user.id == me.id:
        return True
    for entity, text in _entities(message).items():
        if entity.type == MessageEntity.MENTION and text.lower() == f"@{me.username}".lower():
            return True
        if entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == me.id:
            return True
        if entity.type == MessageEntity.BOT_COMMAND and entity.offset == 0:
            target = text.partition("@")[2]
            return not target or target.lower() == (me.username or "").lower()
    return False


def user_text(text: str, me: User) -> str:
    """What a typed message says, for Rasa: commands mapped, the bot's @name removed."""
    if me.username:
        text = re.sub(rf"@{re.escape(me.username)}\b", "", text, flags=re.IGNORECASE)
    text = text.strip()
    if text.startswith("/"):
        command = text[1:].split(maxsplit=1)[0].lower() if len(text) > 1 else ""
        if command in COMMANDS:
            return COMMANDS[command]
        text = text.lstrip("/").strip()  # typed text is never an intent payload
    return text


def pressed(query: CallbackQuery, payload: str | None) -> str | None:
    """A pressed button's `payload` (as looked up), or its title when it was forgotten."""
    data = query.data or ""
    if payload is not None:
        return payload
    message = query.message if isinstance(query.message, Message) else None
    markup = message.reply_markup if message else None
    for row in markup.inline_keyboard if markup else ():
        for button in row:
            if button.callback_data == data:
                return button.text
    return None
