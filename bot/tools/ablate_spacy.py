"""What spaCy contributes to the NLU: trains the pipeline without it and compares on held-out data.

    python -m bot.tools.ablate_spacy --model models/relay.tar.gz --out results/ablation

The ablated pipeline is config.yml with spaCy taken out: WhitespaceTokenizer instead
of SpacyNLP + SpacyTokenizer (so no lemmas), no SpacyEntityExtractor (no order-number
or email patterns) and the sentiment component on regex tokens. Everything else,
the data and the seeds are the same. Both models are scored on the held-out sets
(tests/nlu for intents and entities, tests/sentiment for sentiment). Training the
ablated model takes as long as `make train`'s NLU part.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from bot.tools.evaluate_nlu import evaluate
from bot.tools.evaluate_sentiment import Scores, labelled_examples, progress, relay_labels
from bot.tools.rasa_logs import quiet_rasa_logs

SPACY_COMPONENTS = {"SpacyNLP", "SpacyTokenizer", "SpacyEntityExtractor"}


def without_spacy(config: dict[str, Any]) -> dict[str, Any]:
    """The NLU config with every spaCy component removed or replaced."""
    pipeline: list[dict[str, Any]] = []
    for step in config["pipeline"]:
        name = step["name"]
        if name == "SpacyTokenizer":
            pipeline.append({"name": "WhitespaceTokenizer"})
        elif name in SPACY_COMPONENTS:
            continue
        elif name.endswith("SentimentAnalyzer"):
            pipeline.append({**step, "use_spacy": False})
        else:
            pipeline.append(step)
    return {key: value for key, value in config.items() if key != "policies"} | {
        "pipeline": pipeline
    }


def train_ablated(config_file: Path, out: Path) -> Path:
    """Trains the NLU-only model without spaCy into `out`; returns its path."""
    config = without_spacy(yaml.safe_load(config_file.read_text(encoding="utf-8")))
    out.mkdir(parents=True, exist_ok=True)
    ablated_config = out / "config_without_spacy.yml"
    ablated_config.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    rasa = str(Path(sys.executable).with_name("rasa"))
    command = [rasa, "train", "nlu", "--config", str(ablated_config), "--nlu", "data/nlu"]
    command += ["--out", str(out), "--fixed-model-name", "nlu_without_spacy"]
    progress("Training the NLU without spaCy (a few minutes)...")
    subprocess.run(command, check=True)
    return out / "nlu_without_spacy.tar.gz"


def scores(model: Path, nlu_test: Path, sentiment_test: Path) -> dict[str, float]:
    """Intent macro-F1, entity F1 and sentiment macro-F1 of one model on the held-out sets."""
    intents = evaluate(model, nlu_test).metrics()
    examples = labelled_examples(sentiment_test)
    (labels,), _ = relay_labels(model, [[text for text, _ in examples]])
    sentiment = Scores("", [label for _, label in examples], labels).metrics()
    return {
        "intent macro-F1": intents["macro_f1"],
        "entity F1 (DIET)": intents["entities"]["f1"],
        "sentiment macro-F1": sentiment["macro_f1"],
    }


def plot(results: dict[str, dict[str, float]], out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    measures = list(next(iter(results.values())))
    fig, ax = plt.subplots(figsize=(8, 4.2))
    width = 0.38
    colours = {"with spaCy": "#1f5f4a", "without spaCy": "#b0b0b0"}
    for offset, (name, values) in zip((-width / 2, width / 2), results.items(), strict=True):
        positions = [i + offset for i in range(len(measures))]
        ax.bar(positions, [values[m] for m in measures], width, label=name, color=colours[name])
        for position, measure in zip(positions, measures, strict=True):
            ax.text(position, values[measure] + 0.01, f"{values[measure]:.3f}", ha="center")
    ax.set_xticks(range(len(measures)), measures)
    ax.set_ylim(0, 1.1)
    ax.set_title("Held-out sets, with and without spaCy in the NLU pipeline")
    ax.legend(loc="lower right")
    fig.tight_layout()
    path = out / "spacy_ablation.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=Path("models/relay.tar.gz"))
    parser.add_argument("--config", type=Path, default=Path("config.yml"))
    parser.add_argument("--out", type=Path, default=Path("results/ablation"))
    args = parser.parse_args(argv)
    ablated = train_ablated(args.config, args.out)
    quiet_rasa_logs()
    nlu_test, sentiment_test = Path("tests/nlu"), Path("tests/sentiment")
    progress("Scoring both models on the held-out sets...")
    results = {
        "with spaCy": scores(args.model, nlu_test, sentiment_test),
        "without spaCy": scores(ablated, nlu_test, sentiment_test),
    }
    (args.out / "metrics.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    plot(results, args.out)
    for name, values in results.items():
        progress(f"{name:>14}: " + "  ".join(f"{k} {v:.3f}" for k, v in values.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
