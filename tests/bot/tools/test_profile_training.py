"""The training profiler: Rasa's log read into seconds per component, and the data edit it makes."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.tools.profile_training import add_example, component_times, plot, report, workspace_copy

HOOKS = "INFO     rasa.engine.training.hooks  -"


def hook(moment: str, event: str, component: str) -> str:
    """One line of Rasa's training log, as the LoggingHook writes it."""
    return f"2026-12-02 {moment} {HOOKS} {event} component '{component}'.\n"


LOG = (
    hook("04:34:03", "Starting to train", "RegexFeaturizer")
    + hook("04:34:03", "Finished training", "RegexFeaturizer")
    + hook("04:34:06", "Starting to train", "CountVectorsFeaturizer")
    + hook("04:34:07", "Finished training", "CountVectorsFeaturizer")
    + hook("04:34:07", "Starting to train", "CountVectorsFeaturizer")
    + hook("04:34:09", "Finished training", "CountVectorsFeaturizer")
    + "Epochs: 100%|##########| 100/100 [17:10<00:00, 10.3s/it, t_loss=0.61, i_acc=1]\n"
    + hook("04:34:10", "Starting to train", "DIETClassifier")
    + hook("04:52:10", "Finished training", "DIETClassifier")
    + hook("04:52:11", "Restored", "TEDPolicy").replace("'.", "' from cache.")
)


def test_component_times_reads_each_trained_component_and_numbers_repeats() -> None:
    durations, restored = component_times(LOG)

    assert durations == {
        "RegexFeaturizer": 0.0,
        "CountVectorsFeaturizer": 1.0,
        "CountVectorsFeaturizer #2": 2.0,
        "DIETClassifier": 1080.0,
    }
    assert restored == ["TEDPolicy"]


def test_component_times_of_a_log_without_hooks_is_empty() -> None:
    assert component_times("nothing was trained\n") == ({}, [])


NLU = """\
version: "3.1"
nlu:
  # Greetings first.
  - intent: greet
    examples: |
      - hello
      - hi
  - intent: goodbye
    examples: |
      - bye
"""


def test_add_example_puts_the_example_under_its_intent_and_keeps_the_rest(
    tmp_path: Path,
) -> None:
    (tmp_path / "nlu").mkdir()
    path = tmp_path / "nlu" / "chitchat.yml"
    path.write_text(NLU, encoding="utf-8")

    assert add_example(tmp_path, "goodbye", "see you later") == path

    assert path.read_text(encoding="utf-8") == NLU.replace(
        "      - bye\n", "      - see you later\n      - bye\n"
    )


def test_add_example_keeps_the_indentation_of_the_file(tmp_path: Path) -> None:
    (tmp_path / "nlu").mkdir()
    path = tmp_path / "nlu" / "chitchat.yml"
    flush = NLU.replace("  - intent", "- intent").replace("    examples", "  examples")
    flush = flush.replace("      - ", "    - ")
    path.write_text(flush, encoding="utf-8")

    add_example(tmp_path, "greet", "hiya")

    assert "  examples: |\n    - hiya\n    - hello\n" in path.read_text(encoding="utf-8")


def test_add_example_for_an_unknown_intent_fails(tmp_path: Path) -> None:
    (tmp_path / "nlu").mkdir()
    (tmp_path / "nlu" / "chitchat.yml").write_text(NLU, encoding="utf-8")

    with pytest.raises(ValueError, match="thank"):
        add_example(tmp_path, "thank", "cheers")


def test_workspace_copy_never_edits_the_repository(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "data" / "nlu").mkdir(parents=True)
    (root / "data" / "nlu" / "chitchat.yml").write_text(NLU, encoding="utf-8")
    (root / "domain.yml").write_text("version: '3.1'\n", encoding="utf-8")

    copy = workspace_copy(root, tmp_path / "copy")
    add_example(copy / "data", "greet", "hiya")

    assert (root / "data" / "nlu" / "chitchat.yml").read_text(encoding="utf-8") == NLU
    assert (copy / "domain.yml").exists()


def result(full: float, retrain: float) -> dict[str, object]:
    return {
        "full": {
            "wall_seconds": full,
            "cpu_seconds": full * 1.8,
            "components": {"DIET": full - 30},
        },
        "nlu_change": {
            "wall_seconds": retrain,
            "cpu_seconds": retrain,
            "components": {"DIET": 9.0},
        },
        "quality": {"intent macro-F1": 0.96, "entity F1 (DIET)": 0.95, "sentiment macro-F1": 0.9},
    }


def test_report_has_one_row_per_configuration_and_the_retrained_components(
    tmp_path: Path,
) -> None:
    text = report({"before": result(1100, 1000), "after": result(200, 60)}, "the command")

    assert "| before | 1100 | 1980 | 1000 | 0.960 | 0.950 | 0.900 |" in text
    assert "| after | 200 | 360 | 60 |" in text
    assert "After one new NLU example Rasa retrained: DIET." in text
    assert "`the command`" in text
    assert plot({"before": result(1100, 1000)}, tmp_path).stat().st_size > 0
