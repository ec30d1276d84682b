"""Sentences a channel says itself (before or without Rasa), read from domain.yml.

A channel answers some messages without the bot: a sticker on Telegram, a flood,
a conversation store that is down. What the customer reads still lives in
domain.yml, with every other sentence; this reads the first text of a response.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

from bot.settings import ROOT

DOMAIN_FILE = ROOT / "domain.yml"


class MissingResponse(LookupError):
    """domain.yml has no text for a response a channel needs."""


@functools.lru_cache(maxsize=4)
def _responses(path: Path) -> dict[str, Any]:
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("responses") or {}


def domain_text(name: str, path: Path = DOMAIN_FILE) -> str:
    """The first text of the domain's response `name` (the file is read once)."""
    for variation in _responses(path).get(name) or []:
        if isinstance(variation, dict) and variation.get("text"):
            return str(variation["text"])
    raise MissingResponse(f"{path} has no response {name} with a text")
