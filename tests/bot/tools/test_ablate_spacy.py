from __future__ import annotations

from pathlib import Path

import yaml

from bot.settings import ROOT
from bot.tools.ablate_spacy import plot, without_spacy


def test_the_ablated_config_has_no_spacy_and_no_policies() -> None:
    config = without_spacy(yaml.safe_load((ROOT / "config.yml").read_text()))
    names = [step["name"] for step in config["pipeline"]]
    assert not any(name.startswith("Spacy") for name in names)
    assert names[:2] == ["bot.nlu.length_limit.MessageLengthLimit", "WhitespaceTokenizer"]
    sentiment = next(step for step in config["pipeline"] if step["name"].endswith("Analyzer"))
    assert sentiment["use_spacy"] is False and sentiment["negative_threshold"] == 0.3
    assert "DIETClassifier" in names and "policies" not in config
    assert config["language"] == "en"


def test_plot(tmp_path: Path) -> None:
    results = {
        "with spaCy": {"intent macro-F1": 0.95, "sentiment macro-F1": 0.9},
        "without spaCy": {"intent macro-F1": 0.93, "sentiment macro-F1": 0.91},
    }
    assert plot(results, tmp_path).stat().st_size > 10_000
