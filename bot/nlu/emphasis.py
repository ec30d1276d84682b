"""How loudly a message is written: shouting in capitals, runs of ! and ?, stretched words.

Both the sentiment features and the frustration score read these signals from
the raw text (Rasa's spaCy doc is lower-cased, so capitals must come from here).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORD = re.compile(r"[^\W\d_]{2,}")
_EXCLAMATIONS = re.compile(r"!{2,}")
_QUESTIONS = re.compile(r"\?{2,}")
_INTERROBANG = re.compile(r"\?!|!\?")
_STRETCHED = re.compile(r"([^\W\d_])\1{2,}")
# Shouting needs at least this many words in capitals, and most of the words.
_MIN_SHOUTED_WORDS = 2
_SHOUTED_SHARE = 0.6


@dataclass(frozen=True)
class Emphasis:
    """Typographic signs of strong feeling in one message."""

    shouting: bool
    exclamations: bool
    questions: bool
    interrobang: bool
    stretched: bool

    @property
    def punctuation(self) -> bool:
        """Any emphatic run of punctuation: !!, ??, ?! or !?."""
        return self.exclamations or self.questions or self.interrobang

    def markers(self) -> list[str]:
        """Feature tokens for the sentiment model, e.g. ``["<shouting>", "<exclamations>"]``."""
        flags = {
            "shouting": self.shouting,
            "exclamations": self.exclamations,
            "questions": self.questions,
            "interrobang": self.interrobang,
            "stretched": self.stretched,
        }
        return [f"<{name}>" for name, present in flags.items() if present]


def shouting(text: str) -> bool:
    """True when most words are written in capitals ("WHERE IS MY ORDER")."""
    words = _WORD.findall(text)
    shouted = [word for word in words if word.isupper()]
    return len(shouted) >= _MIN_SHOUTED_WORDS and len(shouted) >= _SHOUTED_SHARE * len(words)


def emphasis(text: str) -> Emphasis:
    """The emphasis signs found in `text`."""
    return Emphasis(
        shouting=shouting(text),
        exclamations=bool(_EXCLAMATIONS.search(text)),
        questions=bool(_QUESTIONS.search(text)),
        interrobang=bool(_INTERROBANG.search(text)),
        stretched=bool(_STRETCHED.search(text)),
    )
