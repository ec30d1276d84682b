"""The frustration score: how frustrated a customer is, turn by turn, and why.

Each user turn adds the signals it shows to what is carried over (decayed) from
the turns before, clipped to [0, 1]:

- negative sentiment, weighted by how negative (the NLU sentiment score),
- shouting in capitals and emphatic punctuation (!!, ??, ?!),
- explicit frustration phrases ("third time", "ridiculous", ...),
- asking for the same thing again (same intent, or nearly the same words),
- not being understood: consecutive fallbacks, low-confidence or out-of-scope turns,
- a long conversation without a resolution (thanks, a compliment, a goodbye).

Positive sentiment brings the score down. The reasons that raised a turn's
score travel with it, so a human agent can see why the bot escalated.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.nlu.emphasis import emphasis

CALM, ELEVATED, HIGH = "calm", "elevated", "high"
_WORD = re.compile(r"[a-z0-9']+")


@dataclass(frozen=True)
class Turn:
    """What the score needs to know about one user message."""

    text: str
    intent: str | None = None
    confidence: float = 1.0
    sentiment: str = "neutral"
    sentiment_score: float = 0.0
    fell_back: bool = False
    reverted: bool = False
    # The bot's actions in reply to this message (recorded, not scored).
    actions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reason:
    """One signal that moved the score: a code, a readable detail and its weight."""

    code: str
    detail: str
    weight: float

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "detail": self.detail, "weight": round(self.weight, 3)}


@dataclass(frozen=True)
class Assessment:
    """The frustration after one turn."""

    score: float
    level: str
    reasons: tuple[Reason, ...]
    turn: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "level": self.level,
            "turn": self.turn,
            "reasons": [reason.as_dict() for reason in self.reasons],
        }


@dataclass(frozen=True)
class FrustrationSettings:
    """Thresholds and weights; every field is a key of the policy's config."""

    acknowledge_threshold: float = 0.5
    escalate_threshold: float = 0.8
    decay: float = 0.6
    negative_sentiment_weight: float = 0.55
    positive_sentiment_relief: float = 0.3
    shouting_weight: float = 0.15
    punctuation_weight: float = 0.1
    phrase_weight: float = 0.25
    repeat_weight: float = 0.25
    repeat_window: int = 6
    not_understood_weight: float = 0.2
    low_confidence: float = 0.5
    long_conversation_turns: int = 8
    long_conversation_weight: float = 0.03
    long_conversation_cap: float = 0.15
    phrases: tuple[str, ...] = ()
    unhelpful_intents: tuple[str, ...] = ("nlu_fallback", "out_of_scope")
    resolving_intents: tuple[str, ...] = ("thank_you", "compliment", "goodbye")
    not_a_request_intents: tuple[str, ...] = (
        "greet",
        "goodbye",
        "thank_you",
        "affirm",
        "deny",
        "inform",
        "compliment",
    )
    _phrase_patterns: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        patterns = tuple(
            re.compile(r"(?<![a-z0-9])" + re.escape(_normalise(phrase)) + r"(?![a-z0-9])")
            for phrase in self.phrases
            if phrase.strip()
        )
        object.__setattr__(self, "_phrase_patterns", patterns)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> FrustrationSettings:
        """Settings from a policy config; unknown keys (name, priority, ...) are ignored."""
        names = {name for name in cls.__dataclass_fields__ if not name.startswith("_")}
        values = {key: value for key, value in config.items() if key in names}
        for key, value in values.items():
            if isinstance(value, list):
                values[key] = tuple(value)
        return cls(**values)

    def level(self, score: float) -> str:
        if score >= self.escalate_threshold:
            return HIGH
        if score >= self.acknowledge_threshold:
            return ELEVATED
        return CALM

    def phrases_in(self, text: str) -> list[str]:
        normalised = _normalise(text)
        return [
            pattern.pattern[len(r"(?<![a-z0-9])") : -len(r"(?![a-z0-9])")].replace("\\", "")
            for pattern in self._phrase_patterns
            if pattern.search(normalised)
        ]


def _normalise(text: str) -> str:
    return " ".join(text.lower().replace("\u2019", "'").split())


def _words(text: str) -> set[str]:
    return set(_WORD.findall(_normalise(text)))


def _similar(first: str, second: str) -> bool:
    """Nearly the same words (Jaccard >= 0.7), for messages of three words or more."""
    a, b = _words(first), _words(second)
    if len(a) < 3 or len(b) < 3:
        return False
    return len(a & b) / len(a | b) >= 0.7


def _repeats(turns: Sequence[Turn], index: int, settings: FrustrationSettings) -> int:
    """How many earlier turns in the window asked for the same thing as turn `index`."""
    current = turns[index]
    earlier = [turn for turn in turns[max(0, index - settings.repeat_window) : index]]
    count = 0
    for turn in earlier:
        # Rephrasing what the bot didn't understand is counted as not_understood instead.
        if turn.reverted or _not_understood(turn, settings):
            continue
        same_request = (
            current.intent is not None
            and current.intent == turn.intent
            and current.intent not in settings.not_a_request_intents
            and current.intent not in settings.unhelpful_intents
        )
        if same_request or _similar(current.text, turn.text):
            count += 1
    return count


def _not_understood(turn: Turn, settings: FrustrationSettings) -> bool:
    return (
        turn.fell_back
        or turn.intent in settings.unhelpful_intents
        or turn.confidence < settings.low_confidence
    )


def _streak(turns: Sequence[Turn], index: int, settings: FrustrationSettings) -> int:
    """Consecutive not-understood turns ending at `index`."""
    streak = 0
    for turn in reversed(turns[: index + 1]):
        if not _not_understood(turn, settings):
            break
        streak += 1
    return streak


def _unresolved_turns(turns: Sequence[Turn], index: int, settings: FrustrationSettings) -> int:
    count = 0
    for turn in reversed(turns[: index + 1]):
        if turn.intent in settings.resolving_intents or turn.sentiment == "positive":
            break
        if not turn.reverted:
            count += 1
    return count


def turn_signals(turns: Sequence[Turn], index: int, settings: FrustrationSettings) -> list[Reason]:
    """The signals turn `index` shows, given the turns before it."""
    turn = turns[index]
    reasons = []
    if turn.sentiment == "negative" and turn.sentiment_score < 0:
        reasons.append(
            Reason(
                "negative_sentiment",
                f"negative message (sentiment {turn.sentiment_score:+.2f})",
                settings.negative_sentiment_weight * -turn.sentiment_score,
            )
        )
    signs = emphasis(turn.text)
    if signs.shouting:
        reasons.append(Reason("shouting", "written in capitals", settings.shouting_weight))
    if signs.punctuation:
        reasons.append(
            Reason("emphatic_punctuation", "repeated ! or ?", settings.punctuation_weight)
        )
    phrases = settings.phrases_in(turn.text)
    if phrases:
        quoted = ", ".join(f'"{phrase}"' for phrase in phrases)
        reasons.append(Reason("frustration_phrase", f"said {quoted}", settings.phrase_weight))
    repeats = _repeats(turns, index, settings)
    if repeats:
        what = turn.intent or "the same thing"
        reasons.append(
            Reason(
                "repeated_request",
                f"asked about {what} {repeats + 1} times",
                settings.repeat_weight * min(repeats, 2),
            )
        )
    streak = _streak(turns, index, settings)
    if streak:
        reasons.append(
            Reason(
                "not_understood",
                f"{streak} message(s) in a row the bot could not understand or help with",
                settings.not_understood_weight * streak,
            )
        )
    extra_turns = _unresolved_turns(turns, index, settings) - settings.long_conversation_turns
    if extra_turns > 0:
        reasons.append(
            Reason(
                "long_conversation",
                f"{extra_turns + settings.long_conversation_turns} messages without a resolution",
                min(
                    settings.long_conversation_weight * extra_turns, settings.long_conversation_cap
                ),
            )
        )
    return reasons


def assess(turns: Sequence[Turn], settings: FrustrationSettings) -> list[Assessment]:
    """The frustration after each turn of a conversation, in order."""
    assessments: list[Assessment] = []
    carried = 0.0
    for index, turn in enumerate(turns):
        reasons = turn_signals(turns, index, settings)
        if carried >= 0.05:
            reasons.append(Reason("earlier_frustration", "carried over from earlier", carried))
        relief = 0.0
        if turn.sentiment == "positive" and turn.sentiment_score > 0:
            relief = settings.positive_sentiment_relief * turn.sentiment_score
        score = min(1.0, max(0.0, sum(reason.weight for reason in reasons) - relief))
        score = round(score, 3)
        ordered = tuple(sorted(reasons, key=lambda reason: reason.weight, reverse=True))
        assessments.append(Assessment(score, settings.level(score), ordered, index + 1))
        carried = score * settings.decay
    return assessments
