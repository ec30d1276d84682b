"""The sentiment evaluation tool, and the trained model against the issue's targets."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from bot.settings import ROOT
from bot.tools import evaluate_sentiment
from bot.tools.evaluate_sentiment import (
    Scores,
    airline_examples,
    component_config,
    majority_labels,
    plot,
    report,
    targets_met,
    vader_labels,
)

MODEL = ROOT / "models" / "relay.tar.gz"


def _scores(system: str) -> dict:
    expected = ["negative", "negative", "neutral", "positive"]
    predicted = ["negative", "neutral", "neutral", "positive"]
    return Scores(system, expected, predicted).metrics()


def test_scores_per_class_and_confusion() -> None:
    metrics = _scores("Relay")
    assert metrics["accuracy"] == pytest.approx(0.75)
    assert metrics["per_class"]["negative"]["recall"] == pytest.approx(0.5)
    assert metrics["per_class"]["neutral"]["precision"] == pytest.approx(0.5)
    assert metrics["confusion"] == [[1, 1, 0], [0, 1, 0], [0, 0, 1]]


def test_targets_compare_with_the_issue_and_with_vader() -> None:
    relay, vader = _scores("Relay"), _scores("VADER")
    met = targets_met(relay, vader)
    assert met == {
        "macro-F1 >= 0.85": False,
        "negative recall >= 0.9": False,
        "ahead of VADER": False,
    }


def test_baselines() -> None:
    assert vader_labels(["I love it, wonderful!", "this is terrible", "order 100231"]) == [
        "positive",
        "negative",
        "neutral",
    ]
    train = [("a", "neutral"), ("b", "negative"), ("c", "negative")]
    assert majority_labels(train, ["x", "y"]) == ["negative", "negative"]


def test_component_settings_come_from_config_yml() -> None:
    settings = component_config(ROOT / "config.yml")
    assert settings["name"] == "bot.nlu.sentiment.SentimentAnalyzer"
    assert settings["negation_scope"] == 3 and settings["use_spacy"] is True


def test_airline_sample_is_seeded_and_three_class(tmp_path: Path) -> None:
    path = tmp_path / "tweets.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["tweet_id", "airline_sentiment", "text"])
        for number in range(20):
            writer.writerow([number, ["negative", "neutral", "positive"][number % 3], f"t{number}"])
    first = airline_examples(path, 5, seed=1)
    assert first == airline_examples(path, 5, seed=1) and len(first) == 5


def test_report_and_plot(tmp_path: Path) -> None:
    held_out = [_scores(name) for name in ("Relay", "Relay without spaCy", "VADER", "majority")]
    path = plot(held_out, held_out, tmp_path)
    assert path.stat().st_size > 10_000
    text = report(
        held_out,
        held_out,
        targets_met(held_out[0], held_out[2]),
        12.0,
        {"model": "m", "train": "data/nlu", "test": "tests/sentiment"},
    )
    assert "| Relay without spaCy |" in text and "MISSED: ahead of VADER" in text
    assert "Airline" in text


def test_trained_model_meets_the_targets_on_the_held_out_set(tmp_path: Path) -> None:
    assert MODEL.exists(), "no trained model: run `make train`"
    out = tmp_path / "eval"
    evaluate_sentiment.main(
        ["--model", str(MODEL), "--train", str(ROOT / "data" / "nlu"), "--out", str(out)]
        + ["--test", str(ROOT / "tests" / "sentiment"), "--config", str(ROOT / "config.yml")]
    )
    assert (out / "sentiment_eval.png").exists() and (out / "report.md").exists()
    import json

    targets = json.loads((out / "metrics.json").read_text())["targets"]
    assert all(targets.values()), targets
