"""The Telegram channel's inbox on a test's SQLite file, as one process or several see it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.channels.telegram_inbox import Inbox
from bot.shop.repository import make_engine


def inbox_at(tmp_path: Path, **kwargs: Any) -> Inbox:
    """An inbox on `tmp_path`'s shop.db; each call has its own engine, as another process would."""
    return Inbox(make_engine(f"sqlite:///{tmp_path / 'shop.db'}"), **kwargs)


def handled(inbox: Inbox, update_id: int) -> bool:
    """Whether the update is recorded and was handled (or given up)."""
    recorded = inbox.get(update_id)
    return recorded is not None and recorded.handled_at is not None
