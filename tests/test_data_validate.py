"""`rasa data validate` on the training data and domain: no conflicts, no real warnings.

Rasa warns about every response that no story or rule utters, but Relay's custom
actions choose most responses; those warnings are checked against the actions'
code (and the agent console's) instead of being ignored.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.settings import ROOT

UNUSED_RESPONSE = re.compile(r"The utterance '(utter_\w+)' is not used in any story or rule")
# Responses the actions look up by a computed name, and the questions forms ask.
DYNAMIC_PREFIXES = (
    "utter_topic_",
    "utter_order_",
    "utter_refund_",
    "utter_subscription_",
    "utter_ask_",
)
# Responses Rasa's default actions utter (fallback and rephrase).
RASA_DEFAULTS = {"utter_default", "utter_ask_rephrase"}


def _actions_source() -> str:
    """The code that chooses responses: the actions, the handoff and the console
    (bot/handoff, bot/console), the channels and the fallbacks that answer while the action
    server is down (bot/ops)."""
    paths = [
        *(ROOT / "actions").glob("*.py"),
        *(ROOT / "bot" / "handoff").glob("*.py"),
        *(ROOT / "bot" / "console").glob("*.py"),
        *(ROOT / "bot" / "channels").glob("*.py"),
        *(ROOT / "bot" / "ops").glob("*.py"),
    ]
    return "\n".join(path.read_text() for path in paths)


def test_data_validates_without_conflicts_or_unexplained_warnings() -> None:
    rasa = str(Path(sys.executable).with_name("rasa"))
    result = subprocess.run(
        [rasa, "data", "validate", "--config", "config.yml", "--domain", "domain.yml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    source = _actions_source()
    unexplained = [
        name
        for name in UNUSED_RESPONSE.findall(output)
        if f'"{name}"' not in source
        and not name.startswith(DYNAMIC_PREFIXES)
        and name not in RASA_DEFAULTS
    ]
    assert unexplained == [], f"responses nothing uses: {unexplained}"
    other_warnings = [
        line
        for line in output.splitlines()
        if "UserWarning" in line
        and "is not used in any story or rule" not in line
        and "Slot auto-fill has been removed" not in line
    ]
    assert other_warnings == [], "\n".join(other_warnings)


def test_held_out_nlu_set_shares_no_message_with_the_training_data() -> None:
    from rasa.shared.nlu.training_data.loading import load_data

    def texts(path: Path) -> set[str]:
        return {m.get("text").lower().strip() for m in load_data(str(path)).intent_examples}

    shared = texts(ROOT / "data" / "nlu") & texts(ROOT / "tests" / "nlu")
    assert shared == set(), f"held-out messages also in data/nlu: {sorted(shared)}"


def test_every_intent_has_enough_training_and_held_out_examples() -> None:
    from collections import Counter

    from rasa.shared.nlu.training_data.loading import load_data

    def counts(path: Path) -> Counter[str]:
        return Counter(m.get("intent") for m in load_data(str(path)).intent_examples)

    training, held_out = counts(ROOT / "data" / "nlu"), counts(ROOT / "tests" / "nlu")
    assert set(training) == set(held_out)
    assert {i: n for i, n in training.items() if n < 30} == {}
    assert {i: n for i, n in held_out.items() if n < 8} == {}


def _sentiment_examples(path: Path) -> list[tuple[str, str]]:
    from rasa.shared.nlu.training_data.loading import load_data

    from bot.nlu.sentiment import sentiment_label

    return [
        (m.get("text").lower().strip(), label)
        for m in load_data(str(path)).training_examples
        if (label := sentiment_label(m)) is not None
    ]


def test_sentiment_sets_are_large_valid_and_separate() -> None:
    from collections import Counter

    from bot.nlu.sentiment_model import LABELS

    training = _sentiment_examples(ROOT / "data" / "nlu")
    held_out = _sentiment_examples(ROOT / "tests" / "sentiment")
    assert len(training) >= 400 and len(held_out) >= 150
    assert {label for _, label in training + held_out} <= set(LABELS)
    assert min(Counter(label for _, label in held_out).values()) >= 40
    shared = {text for text, _ in training} & {text for text, _ in held_out}
    assert shared == set(), f"held-out sentiment messages also in data/nlu: {sorted(shared)}"
    intent_held_out = {m for m, _ in _sentiment_examples(ROOT / "tests" / "nlu")}
    assert intent_held_out == set()  # the intent test set carries no sentiment labels


def test_every_button_payload_reaches_the_customer_intact_and_without_an_error(
    domain: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rasa fills placeholders into payloads too: an entity's braces must be doubled in domain.yml,
    or every such button logs an interpolation error (found in `make bench`'s server logs)."""
    from rasa.core.nlg import interpolator

    errors: list[Any] = []
    monkeypatch.setattr(interpolator.structlogger, "exception", lambda *a, **k: errors.append(k))
    payloads = [
        button["payload"]
        for variations in domain["responses"].values()
        for variation in variations
        for button in variation.get("buttons", [])
    ]
    assert len(payloads) >= 15
    for payload in payloads:
        sent = interpolator.interpolate_text(payload, {})
        intent, _, entities = sent[1:].partition("{")
        assert sent.startswith("/") and intent in domain["intents"], sent
        if entities:
            assert set(json.loads("{" + entities)) <= set(domain["entities"]), sent
    assert errors == []
