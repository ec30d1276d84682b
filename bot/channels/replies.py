"""Sentences a channel says itself (before or without Rasa), read from domain.yml.

A channel answers some messages without the bot: a sticker on Telegram, a flood,
a conversation store that is down. What the customer reads still lives in
domain.yml, with every other sentence; `Replies` reads the first text of a response.
One is made per process, on the services (bot/services.py), when a channel's server
starts (each channel checks there that its responses exist); tests make their own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.settings import ROOT

DOMAIN_FILE = ROOT / "domain.yml"


class MissingResponse(LookupError):
    """domain.yml has no text for a response a channel needs."""


class Replies:
    """The domain's responses, read from `path` once, when made.

    Args:
        path: The domain file.
    """

    def __init__(self, path: Path = DOMAIN_FILE) -> None:
        self.path = path
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        self._responses: dict[str, Any] = loaded.get("responses") or {}

    def text(self, name: str) -> str:
        """The first text of the response `name`.

        Raises:
            MissingResponse: The domain has no such response, or none of it is text.
        """
        for variation in self._responses.get(name) or []:
            if isinstance(variation, dict) and variation.get("text"):
                return str(variation["text"])
        raise MissingResponse(f"{self.path} has no response {name} with a text")

    def require(self, *names: str) -> None:
        """Raises MissingResponse unless every one of `names` has a text (checked at start,
        so a channel never finds out in front of a customer)."""
        for name in names:
            self.text(name)
