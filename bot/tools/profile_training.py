"""Where `make train` spends its time, and what a faster configuration costs in quality.

    python -m bot.tools.profile_training --config config.yml --config old_config.yml \
        --out results/training

For each configuration: a full training from an empty cache (Rasa's `rasa train`, on a
copy of data/ and domain.yml), then a retraining after one new NLU example (what a
trainer does many times a day), each timed per component from Rasa's own training
log; then the model is scored on the held-out sets (intent macro-F1 and DIET's entity
F1 on tests/nlu, sentiment macro-F1 on tests/sentiment). Writes `report.md`,
`metrics.json` and `training_time.png` into the output folder.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.tools.evaluate_sentiment import progress

# One line of Rasa's training log (rasa.engine.training.hooks), for example "2026-12-02 04:34:10
# INFO     rasa.engine.training.hooks  - Starting to train component 'DIETClassifier'."
HOOK_LINE = re.compile(
    r"^(?P<stamp>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\S*\s+INFO\s+rasa\.engine\.training\.hooks\s+-\s+"
    r"(?P<event>Starting to train|Finished training|Restored) component '(?P<component>\w+)'"
)
STAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
# A new example for an intent every Relay model knows; added to a copy of the data only.
NEW_EXAMPLE = ("greet", "hiya, anyone about this morning?")


@dataclass
class Run:
    """One `rasa train`: wall and CPU seconds, and seconds per trained component."""

    wall_seconds: float
    cpu_seconds: float
    components: dict[str, float] = field(default_factory=dict)
    restored: list[str] = field(default_factory=list)


def component_times(log: str) -> tuple[dict[str, float], list[str]]:
    """Seconds per trained component (repeated components numbered) and the restored ones."""
    durations: dict[str, float] = {}
    restored: list[str] = []
    started: dict[str, datetime] = {}
    for line in log.splitlines():
        match = HOOK_LINE.match(line.strip())
        if not match:
            continue
        component, event = match["component"], match["event"]
        moment = datetime.strptime(match["stamp"], STAMP_FORMAT)
        if event == "Restored":
            restored.append(component)
        elif event == "Starting to train":
            started[component] = moment
        elif component in started:
            name, count = component, 2
            while name in durations:
                name, count = f"{component} #{count}", count + 1
            durations[name] = (moment - started.pop(component)).total_seconds()
    return durations, restored


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def train(config: Path, workspace: Path, cache: Path, name: str, extra: Sequence[str] = ()) -> Run:
    """`rasa train` of the copy in `workspace` with Rasa's cache in `cache`.

    `extra` goes on the command line as it is (e.g. `--finetune old.tar.gz`).
    """
    rasa = str(Path(sys.executable).with_name("rasa"))
    command = [rasa, "train", "--config", str(config), "--domain", str(workspace / "domain.yml")]
    command += ["--data", str(workspace / "data"), "--out", str(workspace / "models")]
    command += ["--fixed-model-name", name, *extra]
    environment = os.environ | {
        "RASA_CACHE_DIRECTORY": str(cache),
        "RASA_TELEMETRY_ENABLED": "false",
    }
    before_cpu, started = children_cpu_seconds(), time.monotonic()
    finished = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
    wall, cpu = time.monotonic() - started, children_cpu_seconds() - before_cpu
    if finished.returncode != 0:
        # Rasa's own error is on stdout; stderr's warnings would push it out of a joint tail.
        output = finished.stdout[-3000:] + "\n" + finished.stderr[-3000:]
        raise RuntimeError(f"rasa train failed ({finished.returncode}):\n{output}")
    components, restored = component_times(finished.stdout + "\n" + finished.stderr)
    return Run(round(wall, 1), round(cpu, 1), components, restored)


def add_example(data: Path, intent: str, text: str) -> Path:
    """Appends one example to the NLU file that holds `intent`; returns that file."""
    marker = f"- intent: {intent}\n"
    for path in sorted((data / "nlu").rglob("*.yml")):
        content = path.read_text(encoding="utf-8")
        if marker in content:
            head, tail = content.split(marker, 1)
            examples_start = tail.index("examples: |\n") + len("examples: |\n")
            first = tail[examples_start:].splitlines()[0]
            indent = first[: len(first) - len(first.lstrip())]
            line = f"{indent}- {text}\n"
            path.write_text(
                head + marker + tail[:examples_start] + line + tail[examples_start:],
                encoding="utf-8",
            )
            return path
    raise ValueError(f"no NLU file defines the intent {intent!r}")


def workspace_copy(root: Path, into: Path) -> Path:
    """A copy of what training reads (data/, domain.yml), so edits never touch the repository."""
    shutil.copytree(root / "data", into / "data")
    shutil.copy(root / "domain.yml", into / "domain.yml")
    return into


def profile(config: Path, root: Path, keep: Path) -> dict[str, Any]:
    """Full training, then retraining after a new NLU example; the model is kept in `keep`."""
    with tempfile.TemporaryDirectory(prefix="relay-train-") as scratch:
        workspace = workspace_copy(root, Path(scratch))
        cache = Path(scratch) / "cache"
        progress(f"{config}: full training from an empty cache...")
        full = train(config, workspace, cache, "full")
        progress(f"{config}: full training took {full.wall_seconds:.0f} s")
        keep.mkdir(parents=True, exist_ok=True)
        model = keep / f"{config.stem}.tar.gz"
        shutil.copy(workspace / "models" / "full.tar.gz", model)
        add_example(workspace / "data", *NEW_EXAMPLE)
        progress(f"{config}: retraining after one new NLU example...")
        nlu_change = train(config, workspace, cache, "nlu_change")
        progress(f"{config}: retraining took {nlu_change.wall_seconds:.0f} s")
    return {"model": str(model), "full": asdict(full), "nlu_change": asdict(nlu_change)}


def quality(model: Path) -> dict[str, float]:
    from bot.tools.ablate_spacy import scores
    from bot.tools.rasa_logs import quiet_rasa_logs

    quiet_rasa_logs()
    return scores(model, Path("tests/nlu"), Path("tests/sentiment"))


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} CPUs, {memory:.0f} GiB RAM, {platform.system()} {platform.machine()}, "
        f"Python {platform.python_version()}, {datetime.now():%Y-%m-%d}"
    )


def report(results: dict[str, dict[str, Any]], command: str) -> str:
    lines = [
        "# Training time and quality",
        "",
        f"Machine: {machine()}.",
        f"Command: `{command}`",
        "",
    ]
    lines += [
        "| configuration | full training (s) | CPU (s) | after one new NLU example (s) "
        "| intent macro-F1 | entity F1 | sentiment macro-F1 |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, result in results.items():
        scores, full = result["quality"], result["full"]
        lines.append(
            f"| {name} | {full['wall_seconds']:.0f} | {full['cpu_seconds']:.0f} "
            f"| {result['nlu_change']['wall_seconds']:.0f} | {scores['intent macro-F1']:.3f} "
            f"| {scores['entity F1 (DIET)']:.3f} | {scores['sentiment macro-F1']:.3f} |"
        )
    for name, result in results.items():
        lines += ["", f"## {name}: seconds per component (full training)", ""]
        lines += ["| component | seconds |", "|---|---:|"]
        for component, seconds in result["full"]["components"].items():
            lines.append(f"| {component} | {seconds:.0f} |")
        retrained = ", ".join(result["nlu_change"]["components"]) or "nothing"
        lines += ["", f"After one new NLU example Rasa retrained: {retrained}."]
    return "\n".join(lines) + "\n"


def plot(results: dict[str, dict[str, Any]], out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(results)
    fig, ax = plt.subplots(figsize=(9, 1.6 + 1.1 * len(names)))
    colours = plt.get_cmap("tab20").colors
    legend: dict[str, Any] = {}
    for row, name in enumerate(names):
        for phase, offset in (("full", -0.18), ("nlu_change", 0.18)):
            left = 0.0
            for index, (component, seconds) in enumerate(
                results[name][phase]["components"].items()
            ):
                bar = ax.barh(row + offset, seconds, 0.34, left=left, color=colours[index % 20])
                legend.setdefault(component.split(" #")[0], bar)
                left += seconds
            other = results[name][phase]["wall_seconds"] - left
            ax.barh(row + offset, max(other, 0.0), 0.34, left=left, color="#dddddd")
            total = results[name][phase]["wall_seconds"]
            label = "full" if phase == "full" else "one new example"
            ax.text(total + 2, row + offset, f"{label}: {total:.0f} s", va="center", fontsize=8)
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel(
        "seconds (grey: loading, featurizing and packaging outside any trained component)"
    )
    ax.legend(legend.values(), legend.keys(), fontsize=7, loc="lower right")
    ax.set_title("rasa train: time per component")
    fig.tight_layout()
    path = out / "training_time.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, action="append", required=True)
    parser.add_argument("--out", type=Path, default=Path("results/training"))
    args = parser.parse_args(argv)
    results: dict[str, dict[str, Any]] = {}
    for config in args.config:
        result = profile(config, Path.cwd(), args.out / "models")
        result["quality"] = quality(Path(result["model"]))
        results[config.stem] = result
        progress(f"{config}: {result['quality']}")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "metrics.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    command = "python -m bot.tools.profile_training " + " ".join(
        f"--config {config}" for config in args.config
    )
    (args.out / "report.md").write_text(report(results, command), encoding="utf-8")
    plot(results, args.out)
    progress(f"Report: {args.out / 'report.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
