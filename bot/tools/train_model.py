"""`make train`: a full Rasa training, or a fine-tuning of the last model after an NLU-only change.

    python -m bot.tools.train_model --out models --name relay [--finetune]

Without `--finetune` this is `rasa train`. With it, the previous model is fine-tuned
(`rasa train --finetune MODEL --epoch-fraction F`: DIET continues from its weights for
a fraction of its epochs) when it exists, only NLU examples changed since it was trained,
and the intents and entities are the same; otherwise, or when Rasa refuses, it is a full
training. Either way it says which it did and why. What each model was trained on is
kept beside it (`<name>.sources.json`), so the next run knows what changed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
from collections import deque
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from bot.tools.evaluate_sentiment import progress

# Measured in docs/performance.md ("Training"): DIET and TED get this share of their epochs.
EPOCH_FRACTION = 0.2
# Fine-tuning keeps the word vocabulary of the last full training (Rasa's CountVectorsFeaturizer
# does not grow it), so new words reach DIET's word features only in a full training.
MAX_FINETUNES = 5
# Rasa's reason, up to the end of its line or its terminal colour code.
REFUSAL = re.compile(r"Cannot finetune[^\n\x1b]*")
NLU_SUFFIXES = (".yml", ".yaml")


@dataclass(frozen=True)
class Sources:
    """What a model was trained on, as far as choosing between fine-tuning and training goes."""

    rasa: str
    config: str
    domain: str
    stories: str
    other_data: str
    nlu: str
    labels: str
    intents: list[str] = field(default_factory=list)
    entities: list[str] = field(default_factory=list)
    # Fine-tunings since the last full training.
    finetunes: int = 0
    # The model file these sources trained (a record left by another training does not count).
    model: str = ""


FINETUNE, FULL, KEEP = "finetune", "full", "keep"


@dataclass(frozen=True)
class Decision:
    """FINETUNE the previous model, train in FULL, or KEEP the model as it is; and why."""

    action: str
    reason: str


def file_digest(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def read_sources(config: Path, domain: Path, data: Path) -> Sources:
    """Fingerprints of the training inputs, NLU examples apart from everything else."""
    import rasa
    from rasa.shared.importers.importer import TrainingDataImporter

    importer = TrainingDataImporter.load_from_config(str(config), str(domain), [str(data)])
    nlu = importer.get_nlu_data()
    other = sorted(p for p in data.rglob("*") if p.is_file() and p.suffix not in NLU_SUFFIXES)
    return Sources(
        rasa=rasa.__version__,
        config=file_digest(config),
        domain=file_digest(domain),
        stories=importer.get_stories().fingerprint(),
        other_data=file_digest(*other),
        nlu=nlu.fingerprint(),
        labels=nlu.label_fingerprint(),
        intents=sorted(nlu.intents),
        entities=sorted(nlu.entities),
    )


def changed_labels(kind: str, before: list[str], now: list[str]) -> str:
    new, gone = sorted(set(now) - set(before)), sorted(set(before) - set(now))
    parts = [f"new {kind}: {', '.join(new)}"] if new else []
    parts += [f"{kind} without examples now: {', '.join(gone)}"] if gone else []
    return "; ".join(parts)


def decide(model: Path, previous: Sources | None, current: Sources, max_finetunes: int) -> Decision:
    """Whether the previous `model` can be fine-tuned on the current sources, and why (not)."""
    if not model.is_file():
        return Decision(FULL, f"there is no previous model {model}")
    if previous is None:
        return Decision(FULL, f"no record of what {model} was trained on (or not by this tool)")
    if previous.rasa != current.rasa:
        return Decision(FULL, f"{model} is from Rasa {previous.rasa}")
    if previous.config != current.config:
        return Decision(FULL, "config.yml changed, not only NLU examples")
    # Before the domain: a new intent changes both, and this names it.
    if previous.labels != current.labels:
        details = [
            changed_labels("intents", previous.intents, current.intents),
            changed_labels("entities", previous.entities, current.entities),
        ]
        said = "; ".join(detail for detail in details if detail) or "roles, groups or actions"
        return Decision(FULL, f"the NLU labels changed ({said}); Rasa fine-tunes only on the same")
    for name, label in (
        ("domain", "the domain"),
        ("stories", "the stories or rules"),
        ("other_data", "the entity patterns"),
    ):
        if getattr(previous, name) != getattr(current, name):
            return Decision(FULL, f"{label} changed, not only NLU examples")
    if previous.nlu == current.nlu:
        return Decision(KEEP, f"nothing {model} was trained on changed")
    if previous.finetunes >= max_finetunes:
        return Decision(
            FULL,
            f"{previous.finetunes} fine-tunings since the last full training "
            "(new words reach DIET's word features only in a full one)",
        )
    return Decision(FINETUNE, "only NLU examples changed, with the same intents and entities")


def sources_path(model: Path) -> Path:
    return model.with_name(model.name.removesuffix(".tar.gz") + ".sources.json")


def load_sources(model: Path) -> Sources | None:
    """What `model` was trained on, if this tool trained it and kept a record of it."""
    path = sources_path(model)
    if not model.is_file() or not path.is_file():
        return None
    try:
        sources = Sources(**json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError):
        return None
    return sources if sources.model == file_digest(model) else None


def save_sources(model: Path, sources: Sources) -> None:
    recorded = replace(sources, model=file_digest(model))
    sources_path(model).write_text(json.dumps(asdict(recorded), indent=2), encoding="utf-8")


def rasa_train(command: list[str]) -> tuple[int, str]:
    """Runs `command`, passing its output through; the return code and the output's tail."""
    tail: deque[str] = deque(maxlen=200)
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            sys.stdout.write(line)
            tail.append(line)
    return process.returncode, "".join(tail)


def refusal(output: str) -> str:
    """Rasa's reason for not fine-tuning, from its output ("" if it gave none)."""
    match = REFUSAL.search(output)
    return match.group(0).strip() if match else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=Path("config.yml"))
    parser.add_argument("--domain", type=Path, default=Path("domain.yml"))
    parser.add_argument("--data", type=Path, default=Path("data"))
    parser.add_argument("--out", type=Path, default=Path("models"))
    parser.add_argument("--name", default="relay")
    parser.add_argument("--finetune", action="store_true", help="after an NLU-only change")
    parser.add_argument("--epoch-fraction", type=float, default=EPOCH_FRACTION)
    parser.add_argument("--max-finetunes", type=int, default=MAX_FINETUNES)
    parser.add_argument("--rasa", default=str(Path(sys.executable).with_name("rasa")))
    args = parser.parse_args(argv)

    model = args.out / f"{args.name}.tar.gz"
    current = read_sources(args.config, args.domain, args.data)
    previous = load_sources(model)
    if args.finetune:
        decision = decide(model, previous, current, args.max_finetunes)
    else:
        decision = Decision(FULL, "FINETUNE=1 fine-tunes after an NLU-only change")
    if decision.action == KEEP:
        model.touch()
        progress(f"Kept {model} ({decision.reason}).")
        return 0
    command = [args.rasa, "train", "--config", str(args.config), "--domain", str(args.domain)]
    command += ["--data", str(args.data), "--out", str(args.out), "--fixed-model-name", args.name]

    if decision.action == FINETUNE and previous is not None:
        progress(f"Fine-tuning {model} ({decision.reason}), {args.epoch_fraction:g} of the epochs.")
        fraction = ["--finetune", str(model), "--epoch-fraction", str(args.epoch_fraction)]
        code, output = rasa_train(command + fraction)
        if code == 0:
            save_sources(model, replace(current, finetunes=previous.finetunes + 1))
            progress(f"Fine-tuned {model}.")
            return 0
        said = refusal(output) or f"rasa train --finetune exited with {code}"
        progress(f"Rasa did not fine-tune ({said}); a full training instead.")
    else:
        progress(f"Full training ({decision.reason}).")
    code, _ = rasa_train(command)
    if code != 0:
        return code
    save_sources(model, current)
    progress(f"Trained {model} in full.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
