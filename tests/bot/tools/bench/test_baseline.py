"""bot/tools/bench/baseline.py: `rasa init`'s config, the quick one, and the fingerprint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from bot.tools.bench import baseline
from bot.tools.bench.baseline import (
    DEFAULT_CONFIG,
    Baseline,
    fingerprint,
    init_config,
    quick_config,
    rasa_file,
    training_files,
)


def test_the_full_baseline_is_what_rasa_init_writes() -> None:
    text = init_config()
    assert text == rasa_file(Path("cli/initial_project/config.yml")).read_text()
    config = yaml.safe_load(text)
    # Pipeline and policies are left out (commented), so Rasa applies its defaults.
    assert config["pipeline"] is None and config["policies"] is None
    assert config["recipe"] == "default.v1" and config["language"] == "en"
    assert "#   - name: DIETClassifier" in text


def test_the_quick_baseline_is_rasas_defaults_with_one_epoch() -> None:
    default = rasa_file(DEFAULT_CONFIG).read_text()
    quick = yaml.safe_load(quick_config(default))
    full = yaml.safe_load(default)
    names = [[c["name"] for c in config[key]] for config in (quick, full) for key in ("pipeline",)]
    assert names[0] == names[1]
    assert [c["name"] for c in quick["policies"]] == [c["name"] for c in full["policies"]]
    trained = [c for c in quick["pipeline"] + quick["policies"] if "epochs" in c]
    assert {c["name"] for c in trained} == {
        "DIETClassifier",
        "ResponseSelector",
        "UnexpecTEDIntentPolicy",
        "TEDPolicy",
    }
    assert all(c["epochs"] == 1 for c in trained)
    assert yaml.safe_load(quick_config(default, epochs=3))["pipeline"][5]["epochs"] == 3


def project(tmp_path: Path) -> tuple[Path, Path]:
    data = tmp_path / "data"
    (data / "nlu").mkdir(parents=True)
    (data / "nlu" / "faq.yml").write_text("version: '3.1'\n")
    (data / "patterns.jsonl").write_text("{}\n")
    (data / "notes.txt").write_text("not training data\n")
    domain = tmp_path / "domain.yml"
    domain.write_text("intents: [greet]\n")
    return domain, data


def test_training_files_are_the_yaml_and_jsonl_in_order(tmp_path: Path) -> None:
    _, data = project(tmp_path)
    assert [p.relative_to(data).as_posix() for p in training_files(data)] == [
        "nlu/faq.yml",
        "patterns.jsonl",
    ]


def test_the_fingerprint_changes_with_everything_trained_from(tmp_path: Path) -> None:
    domain, data = project(tmp_path)
    first = fingerprint("config", domain, data, "3.6.21")
    assert fingerprint("config", domain, data, "3.6.21") == first
    assert fingerprint("config 2", domain, data, "3.6.21") != first
    assert fingerprint("config", domain, data, "3.6.20") != first
    (data / "notes.txt").write_text("changed, but no training data\n")
    assert fingerprint("config", domain, data, "3.6.21") == first
    (data / "nlu" / "faq.yml").write_text("version: '3.1'\nnlu: []\n")
    assert fingerprint("config", domain, data, "3.6.21") != first
    changed = fingerprint("config", domain, data, "3.6.21")
    domain.write_text("intents: [greet, bye]\n")
    assert fingerprint("config", domain, data, "3.6.21") != changed


def test_a_kept_model_is_reused_only_with_its_fingerprint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    domain, data = project(tmp_path)
    monkeypatch.setattr(baseline, "DOMAIN", domain)
    monkeypatch.setattr(baseline, "DATA", data)
    kept = Baseline(tmp_path / "bench" / "baseline.tar.gz", "config text")
    assert kept.fingerprint_file.name == "baseline.fingerprint"
    assert kept.config_file.name == "baseline.config.yml"
    assert not kept.is_current()  # no archive
    kept.model.parent.mkdir()
    kept.model.write_bytes(b"archive")
    assert not kept.is_current()  # no fingerprint
    kept.fingerprint_file.write_text("not json")
    assert not kept.is_current()
    kept.fingerprint_file.write_text(json.dumps({"fingerprint": kept.wanted()}))
    assert kept.is_current()
    assert kept.ensure() is None  # nothing to train
    assert not Baseline(kept.model, "another config").is_current()
    domain.write_text("intents: [changed]\n")
    assert not kept.is_current()


def test_full_and_quick_name_their_configs(tmp_path: Path) -> None:
    assert baseline.full(tmp_path / "b.tar.gz").config == init_config()
    assert "epochs: 1" in baseline.quick(tmp_path / "q.tar.gz").config


FAKE_RASA = """#!/bin/sh
# rasa train --config C --domain D --data DATA --out OUT --fixed-model-name NAME
echo "training with $3"
[ -n "$FAIL" ] && exit 1
printf archive > "${9}/${11}.tar.gz"
"""


@pytest.mark.parametrize("fails", [False, True])
def test_training_runs_rasa_train_and_keeps_the_fingerprint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fails: bool
) -> None:
    domain, data = project(tmp_path)
    monkeypatch.setattr(baseline, "DOMAIN", domain)
    monkeypatch.setattr(baseline, "DATA", data)
    rasa = tmp_path / "rasa"
    rasa.write_text(FAKE_RASA)
    rasa.chmod(0o755)
    monkeypatch.setattr(baseline, "rasa_bin", lambda: str(rasa))
    if fails:
        monkeypatch.setenv("FAIL", "yes")
    kept = Baseline(tmp_path / "bench" / "baseline.tar.gz", "config text")
    if fails:
        with pytest.raises(baseline.TrainingError, match="rasa train failed"):
            kept.ensure()
        assert not kept.is_current()
        return
    took = kept.ensure()
    assert took is not None and took >= 0
    assert kept.model.read_bytes() == b"archive"
    assert kept.config_file.read_text() == "config text"
    assert (
        "training with " + str(kept.config_file)
        in kept.model.with_name("baseline.train.log").read_text()
    )
    assert kept.is_current() and kept.ensure() is None
