"""The baseline: a plain Rasa bot trained on Relay's data and domain with Rasa's defaults.

Its config.yml is the text `rasa init` writes (rasa/cli/initial_project/config.yml,
read from the installed package): pipeline and policies commented out, so Rasa fills
in its default ones when it trains. `quick_config()` spells those defaults out
(rasa/engine/recipes/config_files/default_config.yml) with every `epochs` set to 1,
for the cheap baseline of the test suite: the same components, barely trained.

A trained baseline is kept with a fingerprint of what went into it (config text,
domain, training data, Rasa's version) beside the archive, so a rerun reuses it
until one of them changes.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.settings import ROOT
from bot.tools.services import rasa_bin

DOMAIN = ROOT / "domain.yml"
DATA = ROOT / "data"
DATA_SUFFIXES = (".yml", ".yaml", ".jsonl")
# What `rasa init` writes, and the defaults Rasa applies when a config leaves them out.
INIT_CONFIG = Path("cli") / "initial_project" / "config.yml"
DEFAULT_CONFIG = Path("engine") / "recipes" / "config_files" / "default_config.yml"
QUICK_EPOCHS = 1
TRAIN_SECONDS = 3600.0  # the default pipeline takes about 20 minutes on two cores


class TrainingError(RuntimeError):
    """`rasa train` failed or produced no model."""


def rasa_file(relative: Path) -> Path:
    """A file of the installed rasa package (found without importing rasa, which is slow)."""
    import importlib.util

    spec = importlib.util.find_spec("rasa")
    if spec is None or spec.origin is None:
        raise TrainingError("the rasa package is not installed")
    return Path(spec.origin).parent / relative


def init_config() -> str:
    """config.yml as `rasa init` writes it."""
    return rasa_file(INIT_CONFIG).read_text(encoding="utf-8")


def quick_config(default_config: str, epochs: int = QUICK_EPOCHS) -> str:
    """Rasa's default config (its YAML text) with every component's `epochs` set to `epochs`."""
    config = yaml.safe_load(default_config)
    for key in ("pipeline", "policies"):
        for component in config.get(key) or []:
            if "epochs" in component:
                component["epochs"] = epochs
    return str(yaml.safe_dump(config, sort_keys=False))


def training_files(data: Path = DATA) -> list[Path]:
    """The training data files under `data`, in a stable order."""
    return sorted(p for p in data.rglob("*") if p.is_file() and p.suffix in DATA_SUFFIXES)


def fingerprint(config: str, domain: Path, data: Path, rasa_version: str) -> str:
    """A digest of everything the baseline model is trained from."""
    digest = hashlib.sha256()
    for part in (rasa_version, config, domain.read_text(encoding="utf-8")):
        digest.update(part.encode())
        digest.update(b"\0")
    for path in training_files(data):
        digest.update(str(path.relative_to(data)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def installed_rasa_version() -> str:
    from importlib.metadata import version

    return version("rasa")


@dataclass(frozen=True)
class Baseline:
    """Where a baseline model lives and what it is trained with.

    Args:
        model: The archive (e.g. models/bench/baseline.tar.gz); its fingerprint sits beside it.
        config: The config.yml text.
    """

    model: Path
    config: str

    @property
    def fingerprint_file(self) -> Path:
        return self.model.with_name(self.model.name.removesuffix(".tar.gz") + ".fingerprint")

    @property
    def config_file(self) -> Path:
        return self.model.with_name(self.model.name.removesuffix(".tar.gz") + ".config.yml")

    def wanted(self) -> str:
        return fingerprint(self.config, DOMAIN, DATA, installed_rasa_version())

    def is_current(self) -> bool:
        """The archive exists and was trained from the config, domain and data of today."""
        if not self.model.exists() or not self.fingerprint_file.exists():
            return False
        try:
            kept = json.loads(self.fingerprint_file.read_text(encoding="utf-8"))
        except ValueError:
            return False
        return bool(kept.get("fingerprint") == self.wanted())

    def train(self, seconds: float = TRAIN_SECONDS) -> float:
        """Trains the model with `rasa train`; returns how long that took.

        Raises:
            TrainingError: rasa train failed, or wrote no archive.
        """
        self.model.parent.mkdir(parents=True, exist_ok=True)
        self.config_file.write_text(self.config, encoding="utf-8")
        wanted = self.wanted()
        name = self.model.name.removesuffix(".tar.gz")
        log = self.model.with_name(name + ".train.log")
        started = time.monotonic()
        # A cache of its own: neither Relay's .rasa/cache nor a leftover one is reused.
        with tempfile.TemporaryDirectory(prefix="bench-rasa-cache-") as cache:
            env = {**os.environ, "RASA_CACHE_DIRECTORY": cache, "RASA_TELEMETRY_ENABLED": "false"}
            with log.open("wb") as handle:
                finished = subprocess.run(
                    [
                        rasa_bin(),
                        "train",
                        "--config",
                        str(self.config_file),
                        "--domain",
                        str(DOMAIN),
                        "--data",
                        str(DATA),
                        "--out",
                        str(self.model.parent),
                        "--fixed-model-name",
                        name,
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                    timeout=seconds,
                )
        took = time.monotonic() - started
        if finished.returncode != 0 or not self.model.exists():
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
            raise TrainingError(f"rasa train failed (code {finished.returncode}):\n{tail}")
        self.fingerprint_file.write_text(
            json.dumps({"fingerprint": wanted, "train_seconds": round(took, 1)}) + "\n",
            encoding="utf-8",
        )
        return took

    def ensure(self) -> float | None:
        """Trains unless the kept model is current; returns the training time (None: reused)."""
        if self.is_current():
            return None
        return self.train()


def full(model: Path) -> Baseline:
    """The baseline `make bench` measures: `rasa init`'s config, Rasa's defaults in full."""
    return Baseline(model, init_config())


def quick(model: Path, epochs: int = QUICK_EPOCHS) -> Baseline:
    """The test suite's baseline: Rasa's default components with `epochs` epochs."""
    text = rasa_file(DEFAULT_CONFIG).read_text(encoding="utf-8")
    return Baseline(model, quick_config(text, epochs))
