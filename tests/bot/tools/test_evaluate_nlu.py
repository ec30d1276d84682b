"""The NLU evaluation tool, and the held-out accuracy of the trained model."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import ROOT
from bot.tools.evaluate_nlu import Evaluation, Prediction, evaluate, plot, report, top_intent

MODEL = ROOT / "models" / "relay.tar.gz"
HELD_OUT = ROOT / "tests" / "nlu"
MACRO_F1_FLOOR = 0.90  # below this the NLU is defective (target: 0.95)


def test_top_intent_looks_through_the_fallback() -> None:
    parse = {
        "intent": {"name": "nlu_fallback", "confidence": 0.45},
        "intent_ranking": [
            {"name": "nlu_fallback", "confidence": 0.45},
            {"name": "order_status", "confidence": 0.40},
            {"name": "refund_status", "confidence": 0.35},
        ],
    }
    assert top_intent(parse) == ("order_status", 0.40, True)


def _evaluation() -> Evaluation:
    predictions = [
        Prediction("where is my parcel", "order_status", "order_status", 0.9, False),
        Prediction("refund?", "refund_status", "order_status", 0.5, True),
        Prediction("money back", "refund_status", "refund_status", 0.8, False),
    ]
    return Evaluation(predictions, labels=["order_status", "refund_status"], seconds=0.3)


def test_entity_scores_compare_entity_and_value_pairs() -> None:
    rain_jacket = frozenset({("product", "alpine rain jacket")})
    predictions = [
        Prediction(
            "is the rain jacket in",
            "product_availability",
            "product_availability",
            0.9,
            False,
            rain_jacket,
            rain_jacket,
        ),
        Prediction(
            "manchester store",
            "store_location",
            "store_location",
            0.9,
            False,
            frozenset({("city", "manchester")}),
            frozenset(),
        ),
        Prediction("hi", "greet", "greet", 0.9, False, frozenset(), frozenset({("name", "hi")})),
    ]
    scores = Evaluation(predictions, labels=["greet"]).entity_scores()
    assert scores == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}


def test_metrics_and_confusions() -> None:
    evaluation = _evaluation()
    metrics = evaluation.metrics()
    assert metrics["accuracy"] == pytest.approx(2 / 3)
    assert metrics["fallback_rate"] == pytest.approx(1 / 3)
    assert metrics["per_intent"]["refund_status"]["recall"] == pytest.approx(0.5)
    assert evaluation.confusions() == [("refund_status", "order_status", 1)]


def test_report_and_plots_are_written(tmp_path: Path) -> None:
    evaluation = _evaluation()
    paths = plot(evaluation, tmp_path)
    assert all(path.stat().st_size > 1000 for path in paths)
    text = report(evaluation, Path("m.tar.gz"), Path("tests/nlu"))
    assert "macro-F1" in text and "| refund_status | order_status | 1 |" in text


def test_trained_model_meets_the_macro_f1_floor_on_held_out_data() -> None:
    assert MODEL.exists(), "no trained model: run `make train`"
    metrics = evaluate(MODEL, HELD_OUT).metrics()
    weak = {k: round(v["f1"], 2) for k, v in metrics["per_intent"].items() if v["f1"] < 0.8}
    assert metrics["macro_f1"] >= MACRO_F1_FLOOR, (metrics["macro_f1"], weak)
