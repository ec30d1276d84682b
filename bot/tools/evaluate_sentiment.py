"""Scores Relay's sentiment on the held-out set, next to VADER, a majority baseline and an ablation.

    python -m bot.tools.evaluate_sentiment --model models/relay.tar.gz \
        --train data/nlu --test tests/sentiment --out results/sentiment_eval

In one run:

- **Relay**: the trained pipeline's `sentiment` (the real model, parsed message by message),
- **Relay without spaCy**: the same classifier retrained on the same data with
  regex tokens instead of spaCy's lemmas and entity masks (the ablation),
- **VADER** (`vaderSentiment`, compound >= 0.05 positive, <= -0.05 negative),
- **majority**: always the most frequent training label.

With `--benchmark` pointing at the Twitter US Airline Sentiment CSV (evaluation only,
CC BY-NC-SA), it also scores a seeded sample of those tweets: a domain Relay was
not written for. Writes `report.md`, `metrics.json` and `sentiment_eval.png`.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import platform
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.nlu.sentiment_model import LABELS, NEGATIVE, NEUTRAL, POSITIVE, SentimentModel
from bot.settings import ROOT
from bot.tools.rasa_logs import quiet_rasa_logs

# Targets from the sentiment issue: macro-F1 and recall of the negative class.
MACRO_F1_TARGET = 0.85
NEGATIVE_RECALL_TARGET = 0.90
SPACY_MODEL = ROOT / "models" / "spacy" / "relay_en"
VADER_THRESHOLD = 0.05

Example = tuple[str, str]


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class Scores:
    """One system's predictions on one data set."""

    system: str
    expected: list[str]
    predicted: list[str]

    def metrics(self) -> dict[str, Any]:
        from sklearn.metrics import (
            accuracy_score,
            confusion_matrix,
            f1_score,
            precision_recall_fscore_support,
        )

        labels = list(LABELS)
        precision, recall, f1, support = precision_recall_fscore_support(
            self.expected, self.predicted, labels=labels, zero_division=0
        )
        return {
            "system": self.system,
            "examples": len(self.expected),
            "accuracy": float(accuracy_score(self.expected, self.predicted)),
            "macro_f1": float(
                f1_score(
                    self.expected, self.predicted, labels=labels, average="macro", zero_division=0
                )
            ),
            "per_class": {
                label: {
                    "precision": float(precision[i]),
                    "recall": float(recall[i]),
                    "f1": float(f1[i]),
                    "support": int(support[i]),
                }
                for i, label in enumerate(labels)
            },
            "confusion": confusion_matrix(self.expected, self.predicted, labels=labels).tolist(),
        }


def labelled_examples(path: Path) -> list[Example]:
    """(text, sentiment) for every example under `path` that carries a sentiment label."""
    from rasa.shared.nlu.training_data.loading import load_data

    from bot.nlu.sentiment import sentiment_label

    data = load_data(str(path))
    return [
        (str(message.get("text")), label)
        for message in data.training_examples
        if (label := sentiment_label(message)) is not None
    ]


def airline_examples(path: Path, sample: int, seed: int) -> list[Example]:
    """A seeded random sample of (tweet, sentiment) from the airline CSV."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [(row["text"], row["airline_sentiment"]) for row in csv.DictReader(handle)]
    rows = [(text, label) for text, label in rows if label in LABELS]
    random.Random(seed).shuffle(rows)
    return rows[:sample]


async def _relay_labels(
    model: Path, batches: Sequence[Sequence[str]]
) -> tuple[list[list[str]], float]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    results = []
    started = time.perf_counter()
    for texts in batches:
        labels = []
        for number, text in enumerate(texts, start=1):
            parse = await agent.parse_message(text)
            labels.append(parse.get("sentiment", {}).get("label", NEUTRAL))
            if number % 100 == 0 or number == len(texts):
                progress(f"  Relay parsed {number}/{len(texts)}")
        results.append(labels)
    parsed = sum(len(texts) for texts in batches)
    return results, (time.perf_counter() - started) / max(1, parsed)


def relay_labels(model: Path, batches: Sequence[Sequence[str]]) -> tuple[list[list[str]], float]:
    """Sentiment labels for each batch of texts (one model load) and seconds per parse."""
    return asyncio.run(_relay_labels(model, batches))


def component_config(config_file: Path) -> dict[str, Any]:
    """SentimentAnalyzer's settings: its defaults overridden by config.yml."""
    import yaml

    from bot.nlu.sentiment import SentimentAnalyzer

    config = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    entry: dict[str, Any] = next(
        (step for step in config.get("pipeline", []) if step["name"].endswith("SentimentAnalyzer")),
        {},
    )
    return {**SentimentAnalyzer.get_default_config(), **entry}


def documenter(settings: dict[str, Any], use_spacy: bool) -> Callable[[Sequence[str]], list[str]]:
    """Turns texts into the model's documents as the pipeline does, with or without spaCy."""
    import spacy

    from bot.nlu.sentiment_features import document

    nlp = spacy.load(SPACY_MODEL) if use_spacy else None

    def documents(texts: Sequence[str]) -> list[str]:
        # Rasa's SpacyNLP is configured case-insensitive: spaCy sees lower-cased text.
        docs = nlp.pipe([text.lower() for text in texts]) if nlp else [None] * len(texts)
        return [
            document(text, doc, settings["negation_scope"])
            for text, doc in zip(texts, docs, strict=True)
        ]

    return documents


def retrained(
    train: Sequence[Example], settings: dict[str, Any], use_spacy: bool
) -> Callable[[Sequence[str]], list[str]]:
    """Trains the sentiment classifier outside Rasa, with or without spaCy features."""
    documents = documenter(settings, use_spacy)
    model = SentimentModel.train(
        documents([text for text, _ in train]),
        [label for _, label in train],
        regularisation=settings["regularisation"],
        char_ngrams=settings["char_ngrams"],
        seed=settings["random_seed"],
        negative_threshold=settings["negative_threshold"],
    )
    return lambda texts: [sentiment.label for sentiment in model.predict(documents(texts))]


def vader_labels(texts: Sequence[str]) -> list[str]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    labels = []
    for text in texts:
        compound = analyzer.polarity_scores(text)["compound"]
        if compound >= VADER_THRESHOLD:
            labels.append(POSITIVE)
        elif compound <= -VADER_THRESHOLD:
            labels.append(NEGATIVE)
        else:
            labels.append(NEUTRAL)
    return labels


def majority_labels(train: Sequence[Example], texts: Sequence[str]) -> list[str]:
    most_common = Counter(label for _, label in train).most_common(1)[0][0]
    return [most_common] * len(texts)


def targets_met(relay: dict[str, Any], vader: dict[str, Any]) -> dict[str, bool]:
    return {
        f"macro-F1 >= {MACRO_F1_TARGET}": relay["macro_f1"] >= MACRO_F1_TARGET,
        f"negative recall >= {NEGATIVE_RECALL_TARGET}": relay["per_class"][NEGATIVE]["recall"]
        >= NEGATIVE_RECALL_TARGET,
        "ahead of VADER": relay["macro_f1"] > vader["macro_f1"],
    }


def plot(held_out: list[dict[str, Any]], benchmark: list[dict[str, Any]], out: Path) -> Path:
    """Macro-F1 and negative recall per system, Relay's confusion matrix, the benchmark."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = 3 if benchmark else 2
    fig, axes = plt.subplots(1, panels, figsize=(6 * panels, 4.8))
    systems = [m["system"] for m in held_out]
    positions = range(len(systems))
    width = 0.38
    bars = axes[0]
    f1 = [m["macro_f1"] for m in held_out]
    recall = [m["per_class"][NEGATIVE]["recall"] for m in held_out]
    bars.bar([p - width / 2 for p in positions], f1, width, label="macro-F1", color="#1f5f4a")
    bars.bar(
        [p + width / 2 for p in positions], recall, width, label="negative recall", color="#d98c2b"
    )
    for p, value in zip(positions, f1, strict=True):
        bars.text(p - width / 2, value + 0.01, f"{value:.2f}", ha="center", fontsize=8)
    for p, value in zip(positions, recall, strict=True):
        bars.text(p + width / 2, value + 0.01, f"{value:.2f}", ha="center", fontsize=8)
    bars.axhline(MACRO_F1_TARGET, color="#1f5f4a", linestyle="--", linewidth=1)
    bars.axhline(NEGATIVE_RECALL_TARGET, color="#d98c2b", linestyle=":", linewidth=1)
    bars.set_xticks(list(positions), systems, rotation=15, fontsize=8)
    bars.set_ylim(0, 1.08)
    bars.set_title(f"Held-out set ({held_out[0]['examples']} messages)")
    bars.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, fontsize=8)

    matrix_axis = axes[1]
    matrix = held_out[0]["confusion"]
    matrix_axis.imshow(matrix, cmap="Greens")
    matrix_axis.set_xticks(range(3), LABELS)
    matrix_axis.set_yticks(range(3), LABELS)
    for i in range(3):
        for j in range(3):
            color = "white" if i == j else "crimson"
            matrix_axis.text(j, i, matrix[i][j], ha="center", va="center", color=color)
    matrix_axis.set_xlabel("predicted")
    matrix_axis.set_ylabel("true")
    matrix_axis.set_title(f"{held_out[0]['system']}: confusion matrix")

    if benchmark:
        axis = axes[2]
        names = [m["system"] for m in benchmark]
        values = [m["macro_f1"] for m in benchmark]
        axis.bar(names, values, color="#5b7db1")
        for p, value in enumerate(values):
            axis.text(p, value + 0.01, f"{value:.2f}", ha="center", fontsize=8)
        axis.set_ylim(0, 1.08)
        axis.set_xticks(range(len(names)), names, rotation=15, fontsize=8)
        axis.set_title(f"Airline tweets, macro-F1 ({benchmark[0]['examples']} sampled)")
    fig.tight_layout()
    path = out / "sentiment_eval.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _table(results: list[dict[str, Any]]) -> str:
    rows = [
        "| system | macro-F1 | accuracy | negative P / R | neutral P / R | positive P / R |",
        "|---|---|---|---|---|---|",
    ]
    for m in results:
        classes = " | ".join(
            f"{m['per_class'][label]['precision']:.2f} / {m['per_class'][label]['recall']:.2f}"
            for label in LABELS
        )
        rows.append(f"| {m['system']} | {m['macro_f1']:.3f} | {m['accuracy']:.3f} | {classes} |")
    return "\n".join(rows)


def report(
    held_out: list[dict[str, Any]],
    benchmark: list[dict[str, Any]],
    targets: dict[str, bool],
    parse_ms: float,
    sources: dict[str, str],
) -> str:
    relay = held_out[0]
    matrix = "\n".join(
        f"| {LABELS[i]} | " + " | ".join(str(n) for n in row) + " |"
        for i, row in enumerate(relay["confusion"])
    )
    checks = "\n".join(f"- {'met' if ok else 'MISSED'}: {name}" for name, ok in targets.items())
    benchmark_part = (
        f"""
## Out of domain: Twitter US Airline Sentiment (evaluation only)

{_table(benchmark)}
"""
        if benchmark
        else ""
    )
    return f"""# Sentiment evaluation

- Model: `{sources["model"]}`; training examples: `{sources["train"]}`; held-out set:
  `{sources["test"]}` ({relay["examples"]} messages)
- Mean parse time through the whole pipeline: {parse_ms:.1f} ms per message
- Machine: {platform.machine()}, {platform.system()}, Python {platform.python_version()}

{checks}

![sentiment evaluation](sentiment_eval.png)

## Held-out set

{_table(held_out)}

Relay's confusion matrix (rows: true, columns: predicted):

| | negative | neutral | positive |
|---|---|---|---|
{matrix}

"Relay without spaCy" is the ablation: the same classifier and data, with regex tokens
instead of spaCy's lemmas and order-number/email masks.
{benchmark_part}"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=Path("models/relay.tar.gz"))
    parser.add_argument("--config", type=Path, default=Path("config.yml"))
    parser.add_argument("--train", type=Path, default=Path("data/nlu"))
    parser.add_argument("--test", type=Path, default=Path("tests/sentiment"))
    parser.add_argument("--out", type=Path, default=Path("results/sentiment_eval"))
    parser.add_argument("--benchmark", type=Path, default=None)
    parser.add_argument("--sample", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    quiet_rasa_logs()

    progress(f"Reading labelled examples from {args.train} and {args.test}...")
    train = labelled_examples(args.train)
    test = labelled_examples(args.test)
    texts = [text for text, _ in test]
    expected = [label for _, label in test]
    settings = component_config(args.config)

    tweets = airline_examples(args.benchmark, args.sample, args.seed) if args.benchmark else []
    tweet_texts = [text for text, _ in tweets]
    tweet_labels = [label for _, label in tweets]

    progress(f"Relay: parsing {len(texts) + len(tweets)} messages with {args.model}...")
    (relay, relay_tweets), seconds = relay_labels(args.model, [texts, tweet_texts])
    progress("Ablation: retraining without spaCy; baselines: VADER, majority...")
    without_spacy = retrained(train, settings, use_spacy=False)
    held_out = [
        Scores("Relay", expected, relay).metrics(),
        Scores("Relay without spaCy", expected, without_spacy(texts)).metrics(),
        Scores("VADER", expected, vader_labels(texts)).metrics(),
        Scores("majority", expected, majority_labels(train, texts)).metrics(),
    ]
    benchmark: list[dict[str, Any]] = []
    if tweets:
        benchmark = [
            Scores("Relay", tweet_labels, relay_tweets).metrics(),
            Scores("Relay without spaCy", tweet_labels, without_spacy(tweet_texts)).metrics(),
            Scores("VADER", tweet_labels, vader_labels(tweet_texts)).metrics(),
            Scores("majority", tweet_labels, majority_labels(train, tweet_texts)).metrics(),
        ]
    targets = targets_met(held_out[0], held_out[2])

    args.out.mkdir(parents=True, exist_ok=True)
    metrics = {"held_out": held_out, "benchmark": benchmark, "targets": targets}
    (args.out / "metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    plot(held_out, benchmark, args.out)
    sources = {"model": str(args.model), "train": str(args.train), "test": str(args.test)}
    text = report(held_out, benchmark, targets, 1000 * seconds, sources)
    (args.out / "report.md").write_text(text, encoding="utf-8")
    for m in held_out:
        progress(
            f"{m['system']:>20}: macro-F1 {m['macro_f1']:.3f}  "
            f"negative recall {m['per_class'][NEGATIVE]['recall']:.3f}"
        )
    progress(f"targets: {targets} -> {args.out / 'report.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
