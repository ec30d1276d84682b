"""What the bot's sentences mean to a soak client: an apology, a handoff, a resolved case.

Read from domain.yml, where every sentence a customer reads lives; a response with
`{placeholders}` matches whatever was filled in. Also: the text Rasa keeps for a
message a client sends (the channels clean it and read a forged payload as words).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.channels.inbound import clean_text
from bot.channels.payloads import customer_text
from bot.settings import ROOT

DOMAIN_FILE = ROOT / "domain.yml"
# The bot couldn't do what was asked (the action server was down or too slow).
APOLOGIES = (
    "utter_action_server_down",
    "utter_action_server_down_handoff",
    "utter_action_server_down_no_handoff",
)
# The conversation went to the team's queue (a ticket must exist).
HANDOFFS = (
    "utter_handoff_queued",
    "utter_handoff_queued_no_agents",
    "utter_action_server_down_handoff",
)
# A person is done and the bot is back.
BACK_WITH_THE_BOT = ("utter_handoff_resolved", "utter_handoff_returned")
PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")


def pattern(template: str) -> re.Pattern[str]:
    """A regular expression matching `template` with any values for its placeholders."""
    parts = PLACEHOLDER.split(template)
    return re.compile(".+?".join(re.escape(part) for part in parts), re.DOTALL)


def stored_as(text: str, offered: frozenset[str] = frozenset()) -> str | None:
    """The text Rasa keeps for `text` (None: the channel refuses it as empty).

    Args:
        text: What the client sent.
        offered: Button payloads the bot offered, which pass unchanged.
    """
    cleaned = clean_text(text)
    if not cleaned:
        return None
    return customer_text(cleaned, offered)


@dataclass(frozen=True)
class Sentences:
    """The domain's sentences a client needs to recognise."""

    apologies: tuple[re.Pattern[str], ...]
    handoffs: tuple[re.Pattern[str], ...]
    back: tuple[re.Pattern[str], ...]

    @classmethod
    def load(cls, domain: Path = DOMAIN_FILE) -> Sentences:
        responses = yaml.safe_load(domain.read_text(encoding="utf-8"))["responses"]
        return cls.from_responses(responses)

    @classmethod
    def from_responses(cls, responses: dict[str, Any]) -> Sentences:
        def patterns(names: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
            found = []
            for name in names:
                for variation in responses.get(name) or []:
                    if isinstance(variation, dict) and variation.get("text"):
                        found.append(pattern(str(variation["text"])))
            if not found:
                raise KeyError(f"domain.yml has none of {names}")
            return tuple(found)

        return cls(patterns(APOLOGIES), patterns(HANDOFFS), patterns(BACK_WITH_THE_BOT))

    @staticmethod
    def _any(patterns: tuple[re.Pattern[str], ...], texts: list[str]) -> bool:
        return any(p.fullmatch(text) for p in patterns for text in texts)

    def apology(self, texts: list[str]) -> bool:
        return self._any(self.apologies, texts)

    def handoff(self, texts: list[str]) -> bool:
        return self._any(self.handoffs, texts)

    def back_with_the_bot(self, texts: list[str]) -> bool:
        return self._any(self.back, texts)
