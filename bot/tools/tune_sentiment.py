"""Chooses the sentiment component's settings by cross-validation on the training data.

    python -m bot.tools.tune_sentiment --train data/nlu --out results/sentiment_tuning

For each regularisation strength and negative threshold, k-fold cross-validation on
the labelled examples in `data/nlu/` (never the held-out set) gives macro-F1 and
the recall of the negative class. Writes `report.md` and `tuning.png`; copy the
chosen values into config.yml.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.nlu.sentiment_model import NEGATIVE, SentimentModel
from bot.tools.evaluate_sentiment import (
    Scores,
    component_config,
    documenter,
    labelled_examples,
    progress,
)

REGULARISATIONS = (2.0, 5.0, 10.0, 20.0)
THRESHOLDS: tuple[float | None, ...] = (None, 0.4, 0.35, 0.3)


def cross_validate(
    documents: Sequence[str],
    labels: Sequence[str],
    regularisation: float,
    threshold: float | None,
    folds: int,
    seed: int,
) -> dict[str, float]:
    """Mean macro-F1 and negative recall over stratified folds."""
    from sklearn.model_selection import StratifiedKFold

    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    f1, recall = [], []
    for train_index, test_index in splitter.split(documents, labels):
        model = SentimentModel.train(
            [documents[i] for i in train_index],
            [labels[i] for i in train_index],
            regularisation=regularisation,
            seed=seed,
            negative_threshold=threshold,
        )
        predicted = [s.label for s in model.predict([documents[i] for i in test_index])]
        metrics = Scores("fold", [labels[i] for i in test_index], predicted).metrics()
        f1.append(metrics["macro_f1"])
        recall.append(metrics["per_class"][NEGATIVE]["recall"])
    return {"macro_f1": sum(f1) / len(f1), "negative_recall": sum(recall) / len(recall)}


def plot(results: list[dict[str, Any]], out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    ticks = [str(t) if t is not None else "argmax" for t in THRESHOLDS]
    for regularisation in REGULARISATIONS:
        rows = [r for r in results if r["regularisation"] == regularisation]
        axes[0].plot(ticks, [r["macro_f1"] for r in rows], marker="o", label=f"C={regularisation}")
        axes[1].plot(ticks, [r["negative_recall"] for r in rows], marker="o")
    axes[0].set_title("cross-validated macro-F1")
    axes[1].set_title("cross-validated negative recall")
    for axis in axes:
        axis.set_xlabel("negative threshold")
        axis.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    path = out / "tuning.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=Path("config.yml"))
    parser.add_argument("--train", type=Path, default=Path("data/nlu"))
    parser.add_argument("--out", type=Path, default=Path("results/sentiment_tuning"))
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args(argv)

    settings = component_config(args.config)
    train = labelled_examples(args.train)
    progress(f"Cross-validating on {len(train)} labelled examples ({args.folds} folds)...")
    documents = documenter(settings, use_spacy=settings["use_spacy"])([t for t, _ in train])
    labels = [label for _, label in train]
    results = []
    for regularisation in REGULARISATIONS:
        for threshold in THRESHOLDS:
            scores = cross_validate(
                documents, labels, regularisation, threshold, args.folds, settings["random_seed"]
            )
            results.append({"regularisation": regularisation, "threshold": threshold, **scores})
            progress(
                f"  C={regularisation:<5} threshold={threshold!s:<5} "
                f"macro-F1 {scores['macro_f1']:.3f}  "
                f"negative recall {scores['negative_recall']:.3f}"
            )
    args.out.mkdir(parents=True, exist_ok=True)
    plot(results, args.out)
    rows = "\n".join(
        f"| {r['regularisation']} | {r['threshold']} | {r['macro_f1']:.3f} | "
        f"{r['negative_recall']:.3f} |"
        for r in results
    )
    (args.out / "report.md").write_text(
        f"# Sentiment settings by {args.folds}-fold cross-validation on `{args.train}`\n\n"
        "![tuning](tuning.png)\n\n| C | negative threshold | macro-F1 | negative recall |\n"
        f"|---|---|---|---|\n{rows}\n",
        encoding="utf-8",
    )
    progress(f"-> {args.out / 'report.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
