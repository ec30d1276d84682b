"""Scores the trained NLU model on the held-out test set and writes a report with plots.

    python -m bot.tools.evaluate_nlu --model models/relay.tar.gz --data tests/nlu \
        --out results/nlu_eval

Writes `report.md` (accuracy, macro-F1, per-intent table, confusions), `metrics.json`
and `confusion_matrix.png` / `per_intent_f1.png` into the output folder.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.tools.rasa_logs import quiet_rasa_logs

FALLBACK_INTENT = "nlu_fallback"
# Entities the held-out set annotates; order numbers and emails are left raw there
# (spaCy's patterns find them, and tests/bot/nlu checks those patterns).
SCORED_ENTITIES = ("product", "city", "name", "subscription_action")

Entity = tuple[str, str]


@dataclass
class Prediction:
    text: str
    expected: str
    predicted: str
    confidence: float
    fell_back: bool
    expected_entities: frozenset[Entity] = frozenset()
    predicted_entities: frozenset[Entity] = frozenset()


@dataclass
class Evaluation:
    predictions: list[Prediction]
    labels: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def expected(self) -> list[str]:
        return [p.expected for p in self.predictions]

    @property
    def predicted(self) -> list[str]:
        return [p.predicted for p in self.predictions]

    def metrics(self) -> dict[str, Any]:
        from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

        precision, recall, f1, support = precision_recall_fscore_support(
            self.expected, self.predicted, labels=self.labels, zero_division=0
        )
        return {
            "examples": len(self.predictions),
            "accuracy": accuracy_score(self.expected, self.predicted),
            "macro_f1": f1_score(
                self.expected, self.predicted, labels=self.labels, average="macro", zero_division=0
            ),
            "entities": self.entity_scores(),
            "fallback_rate": sum(p.fell_back for p in self.predictions) / len(self.predictions),
            "parse_ms_mean": 1000 * self.seconds / len(self.predictions),
            "per_intent": {
                label: {
                    "precision": float(precision[i]),
                    "recall": float(recall[i]),
                    "f1": float(f1[i]),
                    "support": int(support[i]),
                }
                for i, label in enumerate(self.labels)
            },
        }

    def entity_scores(self) -> dict[str, float]:
        """Micro precision/recall/F1 over (entity, value) pairs, values compared ignoring case."""
        true_positive = sum(
            len(p.expected_entities & p.predicted_entities) for p in self.predictions
        )
        predicted = sum(len(p.predicted_entities) for p in self.predictions)
        expected = sum(len(p.expected_entities) for p in self.predictions)
        precision = true_positive / predicted if predicted else 0.0
        recall = true_positive / expected if expected else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"precision": precision, "recall": recall, "f1": f1, "support": expected}

    def confusions(self, limit: int = 15) -> list[tuple[str, str, int]]:
        pairs = Counter(
            (p.expected, p.predicted) for p in self.predictions if p.expected != p.predicted
        )
        return [(e, p, n) for (e, p), n in pairs.most_common(limit)]


Example = tuple[str, str, frozenset[Entity]]


def scored_entities(entities: list[dict[str, Any]] | None) -> frozenset[Entity]:
    return frozenset(
        (e["entity"], str(e.get("value", "")).lower())
        for e in entities or []
        if e.get("entity") in SCORED_ENTITIES
    )


def load_examples(path: Path) -> list[Example]:
    """(text, intent, entities) from Rasa NLU files under `path`."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    return [
        (m.get("text"), m.get("intent"), scored_entities(m.get("entities")))
        for m in data.intent_examples
    ]


def top_intent(parse: dict[str, Any]) -> tuple[str, float, bool]:
    """The classifier's best intent, looking through the fallback classifier's verdict."""
    fell_back = parse["intent"]["name"] == FALLBACK_INTENT
    ranking = [i for i in parse.get("intent_ranking", []) if i["name"] != FALLBACK_INTENT]
    if not ranking:
        return parse["intent"]["name"], float(parse["intent"]["confidence"]), fell_back
    return ranking[0]["name"], float(ranking[0]["confidence"]), fell_back


async def _parse_all(model: Path, examples: list[Example]) -> Evaluation:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    predictions = []
    started = time.perf_counter()
    for number, (text, expected, entities) in enumerate(examples, start=1):
        parse = await agent.parse_message(text)
        intent, confidence, fell_back = top_intent(parse)
        found = scored_entities(parse.get("entities"))
        predictions.append(
            Prediction(text, expected, intent, confidence, fell_back, entities, found)
        )
        if number % 50 == 0 or number == len(examples):
            print(f"  parsed {number}/{len(examples)}", file=sys.stderr, flush=True)
    seconds = time.perf_counter() - started
    labels = sorted({expected for _, expected, _ in examples})
    return Evaluation(predictions=predictions, labels=labels, seconds=seconds)


def evaluate(model: Path, data: Path) -> Evaluation:
    return asyncio.run(_parse_all(model, load_examples(data)))


def plot(evaluation: Evaluation, out: Path) -> list[Path]:
    """Confusion matrix and per-intent F1 bar chart as PNG files."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import confusion_matrix

    labels = evaluation.labels
    matrix = confusion_matrix(evaluation.expected, evaluation.predicted, labels=labels)
    fig, ax = plt.subplots(figsize=(11, 9))
    ax.imshow(matrix, cmap="Greens")
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    for i in range(len(labels)):
        for j in range(len(labels)):
            if matrix[i, j]:
                ax.text(
                    j,
                    i,
                    matrix[i, j],
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if i == j else "crimson",
                )
    ax.set_xlabel("predicted intent")
    ax.set_ylabel("true intent")
    ax.set_title("Held-out NLU test set: confusion matrix")
    fig.tight_layout()
    confusion_path = out / "confusion_matrix.png"
    fig.savefig(confusion_path, dpi=110)
    plt.close(fig)

    per_intent = evaluation.metrics()["per_intent"]
    fig, ax = plt.subplots(figsize=(10, 6))
    scores = [per_intent[label]["f1"] for label in labels]
    ax.barh(labels, scores, color=["#1f5f4a" if s >= 0.9 else "#c0392b" for s in scores])
    ax.axvline(0.9, color="grey", linestyle="--", linewidth=1)
    ax.set_xlim(0, 1)
    ax.set_xlabel("F1")
    ax.set_title("Held-out NLU test set: F1 per intent (dashed: 0.90)")
    ax.invert_yaxis()
    fig.tight_layout()
    f1_path = out / "per_intent_f1.png"
    fig.savefig(f1_path, dpi=110)
    plt.close(fig)
    return [confusion_path, f1_path]


def report(evaluation: Evaluation, model: Path, data: Path) -> str:
    metrics = evaluation.metrics()
    entities = metrics["entities"]
    rows = "\n".join(
        f"| {label} | {m['precision']:.2f} | {m['recall']:.2f} | {m['f1']:.2f} | {m['support']} |"
        for label, m in metrics["per_intent"].items()
    )
    confusions = (
        "\n".join(
            f"| {expected} | {predicted} | {count} |"
            for expected, predicted, count in evaluation.confusions()
        )
        or "| (none) | | |"
    )
    return f"""# NLU evaluation on the held-out test set

- Model: `{model}`; test data: `{data}` ({metrics["examples"]} messages)
- **Accuracy: {metrics["accuracy"]:.3f}**, **macro-F1: {metrics["macro_f1"]:.3f}**
  (the classifier's best intent; target macro-F1 >= 0.95, under 0.90 is a defect)
- Entities ({", ".join(SCORED_ENTITIES)}; {entities["support"]} in the set): precision
  {entities["precision"]:.3f}, recall {entities["recall"]:.3f}, F1 {entities["f1"]:.3f}
- Sent to the two-stage fallback (confidence under the threshold): {metrics["fallback_rate"]:.1%}
- Mean parse time: {metrics["parse_ms_mean"]:.1f} ms per message
- Machine: {platform.machine()}, {platform.system()}, Python {platform.python_version()}

![confusion matrix](confusion_matrix.png)
![F1 per intent](per_intent_f1.png)

| intent | precision | recall | F1 | support |
|---|---|---|---|---|
{rows}

Most frequent confusions:

| true | predicted | count |
|---|---|---|
{confusions}
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=Path("models/relay.tar.gz"))
    parser.add_argument("--data", type=Path, default=Path("tests/nlu"))
    parser.add_argument("--out", type=Path, default=Path("results/nlu_eval"))
    args = parser.parse_args(argv)
    quiet_rasa_logs()
    print(f"Evaluating {args.model} on {args.data}...", file=sys.stderr)
    evaluation = evaluate(args.model, args.data)
    args.out.mkdir(parents=True, exist_ok=True)
    metrics = evaluation.metrics()
    (args.out / "metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    plot(evaluation, args.out)
    (args.out / "report.md").write_text(report(evaluation, args.model, args.data), encoding="utf-8")
    print(
        f"accuracy {metrics['accuracy']:.3f}  macro-F1 {metrics['macro_f1']:.3f}  "
        f"entity F1 {metrics['entities']['f1']:.3f}  "
        f"fallback {metrics['fallback_rate']:.1%}  -> {args.out / 'report.md'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
