"""The fine-tuning profiler: the data edits it makes, Rasa's arguments and its report."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.nlu.training_data.loading import load_data

from bot.settings import ROOT
from bot.tools.profile_finetuning import (
    NEW_EXAMPLES,
    NEW_INTENT,
    NEW_INTENT_EXAMPLES,
    add_intent,
    finetune_arguments,
    report,
)
from bot.tools.profile_training import add_example, workspace_copy


def test_the_new_examples_are_for_known_intents_and_in_no_data_set() -> None:
    training = load_data(str(ROOT / "data" / "nlu"))
    held_out = load_data(str(ROOT / "tests" / "nlu"))
    texts = {m.get("text").lower() for m in [*training.nlu_examples, *held_out.nlu_examples]}

    assert {intent for intent, _ in NEW_EXAMPLES} <= training.intents
    assert NEW_INTENT not in training.intents
    assert not {text.lower() for _, text in NEW_EXAMPLES} & texts


def test_add_intent_puts_it_in_the_domain_and_in_an_nlu_file(tmp_path: Path) -> None:
    workspace = workspace_copy(ROOT, tmp_path / "copy")
    for intent, text in NEW_EXAMPLES:
        add_example(workspace / "data", intent, text)

    path = add_intent(workspace, NEW_INTENT, NEW_INTENT_EXAMPLES)

    assert NEW_INTENT in Domain.load(workspace / "domain.yml").intents
    data = load_data(str(path))
    assert [m.get("text") for m in data.intent_examples] == list(NEW_INTENT_EXAMPLES)
    assert Domain.load(ROOT / "domain.yml").intents == [
        intent for intent in Domain.load(workspace / "domain.yml").intents if intent != NEW_INTENT
    ]


def test_add_intent_to_a_domain_without_intents_fails(tmp_path: Path) -> None:
    (tmp_path / "domain.yml").write_text('version: "3.1"\n', encoding="utf-8")

    with pytest.raises(ValueError, match="no top-level intents"):
        add_intent(tmp_path, NEW_INTENT, NEW_INTENT_EXAMPLES)


def test_finetune_arguments_are_rasas() -> None:
    assert finetune_arguments(Path("m.tar.gz"), 0.2) == [
        "--finetune",
        "m.tar.gz",
        "--epoch-fraction",
        "0.2",
    ]


def run(wall: float, diet: float, f1: float) -> dict[str, object]:
    return {
        "model": "m.tar.gz",
        "run": {
            "wall_seconds": wall,
            "cpu_seconds": wall * 1.5,
            "components": {"DIETClassifier": diet},
        },
        "quality": {"intent macro-F1": f1, "entity F1 (DIET)": 0.94, "sentiment macro-F1": 0.9},
    }


def test_report_has_a_row_per_training_and_rasas_answer_to_a_new_intent() -> None:
    results = {
        "full": run(400, 200, 0.971),
        "finetune_0.2": run(120, 40, 0.969),
        "finetune_0.5": {"failed": "rasa train failed (1)"},
        "new_intent": {"refused": True, "reason": "Cannot finetune because NLU training data"},
    }

    text = report(results, "the command", "1.00 1.50 2.00")

    assert "| full | 400 | 600 | 200 | 0.971 | 0.940 | 0.900 |" in text
    assert "| finetune_0.2 | 120 | 180 | 40 | 0.969 |" in text
    assert "| finetune_0.5 | failed: see metrics.json |" in text
    assert "Rasa refused to fine-tune: Cannot finetune because NLU training data" in text
    assert "load average before the run 1.00 1.50 2.00" in text and "`the command`" in text
