"""What `rasa train --finetune` saves after an NLU-only change, and what it costs in quality.

    python -m bot.tools.profile_finetuning --base models/relay.tar.gz \
        --epoch-fraction 0.2 --epoch-fraction 0.5 --out results/finetuning

On a copy of data/ and domain.yml with five new examples for an intent every Relay
model knows (what a trainer does many times a day): a full training, then for each
epoch fraction a fine-tuning of `--base` (`rasa train --finetune BASE --epoch-fraction
F`), each from an empty cache of its own (so no run reuses another's output) and each
scored on the held-out sets like `make profile-training`. Then, on another copy with
a new intent, whether Rasa agrees to fine-tune at all. Writes `report.md` and
`metrics.json` into the output folder.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bot.tools.evaluate_sentiment import progress
from bot.tools.profile_training import add_example, machine, quality, train, workspace_copy
from bot.tools.train_model import refusal

# Five new ways to ask for an order's status (in neither data/ nor the held-out sets).
NEW_EXAMPLES = (
    ("order_status", "any news on the parcel I ordered last week"),
    ("order_status", "when will the delivery van bring my order"),
    ("order_status", "is my shipment on its way"),
    ("order_status", "I'd like an update on where my purchase is"),
    ("order_status", "has the courier picked up my order yet"),
)
# An intent no Relay model knows, with the examples a trainer would start it with.
NEW_INTENT = "ask_gift_wrapping"
NEW_INTENT_EXAMPLES = (
    "can you gift wrap my order",
    "do you do gift wrapping",
    "is gift wrapping available",
    "I want this wrapped as a present",
    "can the parcel come gift wrapped",
)


def add_intent(workspace: Path, intent: str, examples: tuple[str, ...]) -> Path:
    """Adds `intent` to the domain and an NLU file of its own; returns that file."""
    domain = workspace / "domain.yml"
    content = domain.read_text(encoding="utf-8")
    if "\nintents:\n" not in content:
        raise ValueError(f"{domain} has no top-level intents list")
    domain.write_text(content.replace("\nintents:\n", f"\nintents:\n  - {intent}\n", 1))
    path = workspace / "data" / "nlu" / f"{intent}.yml"
    lines = [f"    - {example}" for example in examples]
    path.write_text(
        f'version: "3.1"\nnlu:\n- intent: {intent}\n  examples: |\n' + "\n".join(lines) + "\n",
        encoding="utf-8",
    )
    return path


def finetune_arguments(base: Path, fraction: float) -> list[str]:
    return ["--finetune", str(base), "--epoch-fraction", str(fraction)]


def profile(
    config: Path,
    root: Path,
    base: Path,
    fractions: list[float],
    keep: Path,
    save: Callable[[dict[str, Any]], None],
) -> dict[str, Any]:
    """Fine-tunings and a full training after five new examples, each scored as soon as it is
    trained; then the new-intent check. `save` gets the results after each step."""
    results: dict[str, Any] = {}
    keep.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="relay-finetune-") as scratch:
        workspace = workspace_copy(root, Path(scratch) / "nlu_change")
        for intent, text in NEW_EXAMPLES:
            add_example(workspace / "data", intent, text)
        # No dots in a model name: Rasa would take ".2" for a file suffix and replace it.
        runs = [(f"finetune_{round(f * 100)}pct", finetune_arguments(base, f)) for f in fractions]
        for name, extra in [*runs, ("full", [])]:
            progress(f"{name}: training after {len(NEW_EXAMPLES)} new examples...")
            try:
                run = train(config, workspace, Path(scratch) / f"cache_{name}", name, extra)
            except RuntimeError as error:
                results[name] = {"failed": str(error)[-1500:]}
                progress(f"{name}: failed\n{error}")
                save(results)
                continue
            progress(f"{name}: {run.wall_seconds:.0f} s")
            model = keep / f"{name}.tar.gz"
            shutil.move(workspace / "models" / f"{name}.tar.gz", model)
            results[name] = {"model": str(model), "run": asdict(run), "quality": quality(model)}
            progress(f"{name}: {results[name]['quality']}")
            save(results)

        new_intent = workspace_copy(root, Path(scratch) / "new_intent")
        add_intent(new_intent, NEW_INTENT, NEW_INTENT_EXAMPLES)
        progress(f"new intent {NEW_INTENT!r}: asking Rasa to fine-tune...")
        try:
            extra = finetune_arguments(base, fractions[0])
            run = train(config, new_intent, Path(scratch) / "cache_intent", "intent", extra)
            results["new_intent"] = {"refused": False, "run": asdict(run)}
        except RuntimeError as error:
            results["new_intent"] = {"refused": True, "reason": refusal(str(error))}
        progress(f"new intent: {results['new_intent']}")
        save(results)
    return results


def report(results: dict[str, Any], command: str, load: str) -> str:
    lines = [
        "# Fine-tuning after an NLU-only change",
        "",
        f"Machine: {machine()}; load average before the run {load}.",
        f"Command: `{command}`",
        "",
        f"The data: a copy of data/ with {len(NEW_EXAMPLES)} new examples for an existing intent.",
        "",
        "| training | wall (s) | CPU (s) | DIET (s) | intent macro-F1 | entity F1 "
        "| sentiment macro-F1 |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, result in results.items():
        if name == "new_intent":
            continue
        if "failed" in result:
            lines.append(f"| {name} | failed: see metrics.json | | | | | |")
            continue
        run, scores = result["run"], result["quality"]
        diet = run["components"].get("DIETClassifier", float("nan"))
        lines.append(
            f"| {name} | {run['wall_seconds']:.0f} | {run['cpu_seconds']:.0f} | {diet:.0f} "
            f"| {scores['intent macro-F1']:.3f} | {scores['entity F1 (DIET)']:.3f} "
            f"| {scores['sentiment macro-F1']:.3f} |"
        )
    intent = results.get("new_intent", {})
    if intent.get("refused"):
        said = intent["reason"] or "no reason given"
        lines += ["", f"With a new intent ({NEW_INTENT}) Rasa refused to fine-tune: {said}"]
    elif intent:
        seconds = intent["run"]["wall_seconds"]
        lines += ["", f"With a new intent ({NEW_INTENT}) Rasa fine-tuned ({seconds:.0f} s)."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=Path("config.yml"))
    parser.add_argument("--base", type=Path, required=True, help="the model to fine-tune")
    parser.add_argument("--epoch-fraction", type=float, action="append", required=True)
    parser.add_argument("--out", type=Path, default=Path("results/finetuning"))
    args = parser.parse_args(argv)
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    command = f"python -m bot.tools.profile_finetuning --base {args.base} " + " ".join(
        f"--epoch-fraction {fraction:g}" for fraction in args.epoch_fraction
    )
    args.out.mkdir(parents=True, exist_ok=True)

    def save(results: dict[str, Any]) -> None:
        (args.out / "metrics.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
        (args.out / "report.md").write_text(report(results, command, load), encoding="utf-8")

    base = args.base.resolve()
    profile(args.config, Path.cwd(), base, args.epoch_fraction, args.out / "models", save)
    progress(f"Report: {args.out / 'report.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
