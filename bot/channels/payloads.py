"""Which `/intent` payloads a customer may send: only the bot's own buttons.

Rasa reads a message that starts with `/` as an intent, with entities, and skips
the NLU: `/restart` would wake a conversation a person has paused, and
`/inform{"customer_id": 7}` would set slots. So a payload is accepted only when
the bot offered it as a button in this session, or when it is one of the harmless
ones a channel's own commands send (Telegram's /start and /help). Anything else
that starts with `/` reaches the NLU as the words it contains.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

logger = logging.getLogger(__name__)

PREFIX = "/"
# What channels send for their own commands, harmless at any time.
CHANNEL_COMMANDS = frozenset({"/greet", "/ask_capabilities"})
UNREADABLE = "?"  # what is left of a message that was nothing but slashes


def _event_dict(event: Any) -> dict[str, Any]:
    return event if isinstance(event, dict) else event.as_dict()


def offered(events: Iterable[Any]) -> frozenset[str]:
    """The payloads of the buttons the bot sent in these events (Rasa events or dicts)."""
    payloads = set()
    for event in events:
        data = _event_dict(event)
        if data.get("event") != "bot":
            continue
        for button in (data.get("data") or {}).get("buttons") or []:
            payload = button.get("payload") if isinstance(button, dict) else None
            if isinstance(payload, str) and payload.startswith(PREFIX):
                payloads.add(payload.strip())
    return frozenset(payloads)


def customer_text(text: str, allowed: frozenset[str]) -> str:
    """`text` as Rasa should read it: a payload only when it is in `allowed` or harmless."""
    stripped = text.strip()
    if not stripped.startswith(PREFIX) or stripped in allowed or stripped in CHANNEL_COMMANDS:
        return text
    logger.info("a payload the bot did not offer was read as text: %r", stripped[:80])
    return stripped.lstrip(PREFIX).strip() or UNREADABLE
