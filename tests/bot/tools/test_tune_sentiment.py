from __future__ import annotations

from pathlib import Path

from bot.tools.tune_sentiment import REGULARISATIONS, THRESHOLDS, cross_validate, plot

DOCUMENTS = [
    "awful",
    "terrible service",
    "not not_happy",
    "useless",
    "where be my order",
    "what time do you open",
    "can I return it",
    "cancel my order",
    "thank you",
    "brilliant",
    "love it",
    "great help",
]
LABELS = ["negative"] * 4 + ["neutral"] * 4 + ["positive"] * 4


def test_cross_validation_reports_macro_f1_and_negative_recall() -> None:
    scores = cross_validate(DOCUMENTS, LABELS, 5.0, None, folds=2, seed=1)
    assert set(scores) == {"macro_f1", "negative_recall"}
    assert all(0.0 <= value <= 1.0 for value in scores.values())


def test_a_low_threshold_never_lowers_negative_recall() -> None:
    usual = cross_validate(DOCUMENTS, LABELS, 5.0, None, folds=2, seed=1)
    cautious = cross_validate(DOCUMENTS, LABELS, 5.0, 0.05, folds=2, seed=1)
    assert cautious["negative_recall"] >= usual["negative_recall"]


def test_plot_has_a_line_per_regularisation(tmp_path: Path) -> None:
    results = [
        {"regularisation": c, "threshold": t, "macro_f1": 0.8, "negative_recall": 0.9}
        for c in REGULARISATIONS
        for t in THRESHOLDS
    ]
    assert plot(results, tmp_path).stat().st_size > 10_000
