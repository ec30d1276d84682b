"""`make train`: what it fine-tunes, what it trains in full, and what it says about it."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from bot.tools.train_model import (
    FINETUNE,
    FULL,
    KEEP,
    Sources,
    decide,
    load_sources,
    main,
    read_sources,
    refusal,
    save_sources,
    sources_path,
)

CONFIG = """\
recipe: default.v1
language: en
assistant_id: test
pipeline:
  - name: WhitespaceTokenizer
  - name: DIETClassifier
    epochs: 1
policies:
  - name: RulePolicy
"""
DOMAIN = """\
version: "3.1"
intents:
  - greet
  - goodbye
responses:
  utter_greet:
    - text: "Hello"
"""
NLU = """\
version: "3.1"
nlu:
- intent: greet
  examples: |
    - hello
    - hi
- intent: goodbye
  examples: |
    - bye
"""
RULES = """\
version: "3.1"
rules:
- rule: greet back
  steps:
  - intent: greet
  - action: utter_greet
"""
# A stand-in for the `rasa` command: records its arguments, refuses to fine-tune when told to
# (as Rasa does), and otherwise writes the model where `--out` and `--fixed-model-name` say.
FAKE_RASA = """\
import json, os, sys
from pathlib import Path
args = sys.argv[1:]
with open(os.environ["CALLS"], "a") as calls:
    calls.write(json.dumps(args) + "\\n")
if "--finetune" in args and os.environ.get("REFUSE"):
    print("InvalidConfigException: Cannot finetune because more than just the 'epoch' keys")
    sys.exit(1)
out, name = args[args.index("--out") + 1], args[args.index("--fixed-model-name") + 1]
Path(out, name + ".tar.gz").write_text("finetuned" if "--finetune" in args else "full")
"""


Runner = Callable[..., tuple[int, list[list[str]]]]


def sources(**changes: object) -> Sources:
    base = Sources(
        rasa="3.6.21",
        config="c",
        domain="d",
        stories="s",
        other_data="o",
        nlu="n",
        labels="l",
        intents=["goodbye", "greet"],
        entities=["city"],
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.fixture
def model(tmp_path: Path) -> Path:
    path = tmp_path / "relay.tar.gz"
    path.write_text("a model", encoding="utf-8")
    return path


def test_only_changed_nlu_examples_are_fine_tuned(model: Path) -> None:
    decision = decide(model, sources(), sources(nlu="n2"), max_finetunes=5)

    assert decision.action == FINETUNE
    assert "only NLU examples changed" in decision.reason


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"config": "c2"}, "config.yml changed"),
        ({"domain": "d2"}, "the domain changed"),
        ({"stories": "s2"}, "the stories or rules changed"),
        ({"other_data": "o2"}, "the entity patterns changed"),
        ({"rasa": "3.7.0"}, "is from Rasa 3.6.21"),
    ],
)
def test_anything_but_nlu_examples_means_a_full_training(
    model: Path, changes: dict[str, object], said: str
) -> None:
    decision = decide(model, sources(), sources(nlu="n2", **changes), max_finetunes=5)

    assert decision.action == FULL
    assert said in decision.reason


def test_a_new_intent_is_named_and_trained_in_full(model: Path) -> None:
    new = ["ask_gift_wrapping", "goodbye"]
    current = sources(nlu="n2", labels="l2", domain="d2", intents=new)

    decision = decide(model, sources(), current, max_finetunes=5)

    assert decision.action == FULL
    assert "new intents: ask_gift_wrapping" in decision.reason
    assert "intents without examples now: greet" in decision.reason


def test_without_a_model_or_a_record_of_it_the_training_is_full(
    tmp_path: Path, model: Path
) -> None:
    missing = decide(tmp_path / "none.tar.gz", sources(), sources(nlu="n2"), max_finetunes=5)
    unrecorded = decide(model, None, sources(), max_finetunes=5)

    assert (missing.action, unrecorded.action) == (FULL, FULL)
    assert "no previous model" in missing.reason
    assert "no record of what" in unrecorded.reason


def test_unchanged_sources_keep_the_model(model: Path) -> None:
    assert decide(model, sources(), sources(), max_finetunes=5).action == KEEP


def test_after_max_finetunes_the_next_training_is_full(model: Path) -> None:
    decision = decide(model, sources(finetunes=5), sources(nlu="n2"), max_finetunes=5)

    assert decision.action == FULL
    assert "5 fine-tunings since the last full training" in decision.reason


def test_sources_are_kept_beside_the_model_they_trained(model: Path) -> None:
    save_sources(model, sources(finetunes=2))

    assert sources_path(model).name == "relay.sources.json"
    recorded = load_sources(model)
    assert recorded is not None and replace(recorded, model="") == sources(finetunes=2)
    model.write_text("a model trained by `rasa train` itself", encoding="utf-8")
    assert load_sources(model) is None
    sources_path(model).write_text("{not json", encoding="utf-8")
    assert load_sources(model) is None


def test_refusal_is_rasas_own_sentence() -> None:
    output = "...\nInvalidConfigException: Cannot finetune because NLU training data contains "
    output += "new labels or does not contain any examples for some known labels.\nmore\n"

    assert refusal(output).startswith("Cannot finetune because NLU training data contains new")
    assert refusal("Traceback: something else") == ""
    coloured = "\x1b[91mInvalidConfigException: Cannot finetune because keys changed.\x1b[0m\n"
    assert refusal(coloured) == "Cannot finetune because keys changed."


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "data" / "nlu").mkdir(parents=True)
    (tmp_path / "data" / "rules").mkdir()
    (tmp_path / "data" / "patterns").mkdir()
    (tmp_path / "config.yml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "domain.yml").write_text(DOMAIN, encoding="utf-8")
    (tmp_path / "data" / "nlu" / "chitchat.yml").write_text(NLU, encoding="utf-8")
    (tmp_path / "data" / "rules" / "rules.yml").write_text(RULES, encoding="utf-8")
    (tmp_path / "data" / "patterns" / "entities.jsonl").write_text("{}\n", encoding="utf-8")
    return tmp_path


def read(project: Path) -> Sources:
    return read_sources(project / "config.yml", project / "domain.yml", project / "data")


def test_read_sources_tells_nlu_examples_from_labels_rules_and_patterns(project: Path) -> None:
    before = read(project)
    nlu = project / "data" / "nlu" / "chitchat.yml"
    nlu.write_text(NLU.replace("    - hi\n", "    - hi\n    - hiya\n"), encoding="utf-8")
    examples = read(project)
    nlu.write_text(NLU + "- intent: thank_you\n  examples: |\n    - thanks\n", encoding="utf-8")
    labels = read(project)
    (project / "data" / "rules" / "rules.yml").write_text(RULES.replace("greet back", "hi"))
    rules = read(project)
    (project / "data" / "patterns" / "entities.jsonl").write_text('{"label": "x"}\n')
    patterns = read(project)

    assert before.intents == ["goodbye", "greet"]
    assert examples.nlu != before.nlu
    assert examples.labels == before.labels and examples.stories == before.stories
    assert labels.labels != examples.labels and "thank_you" in labels.intents
    assert rules.stories != labels.stories and rules.nlu == labels.nlu
    assert patterns.other_data != rules.other_data and patterns.stories == rules.stories


@pytest.fixture
def run(project: Path, monkeypatch: pytest.MonkeyPatch) -> Runner:
    """`main` on the project with the stand-in `rasa`: its exit status and Rasa's calls."""
    rasa = project / "rasa"
    rasa.write_text(f"#!{sys.executable}\n" + FAKE_RASA, encoding="utf-8")
    rasa.chmod(0o755)
    calls = project / "calls.jsonl"
    monkeypatch.setenv("CALLS", str(calls))
    (project / "models").mkdir()

    def run(*args: str, refuse: bool = False) -> tuple[int, list[list[str]]]:
        calls.unlink(missing_ok=True)
        monkeypatch.setenv("REFUSE", "1" if refuse else "")
        code = main(
            [
                *("--config", str(project / "config.yml"), "--domain", str(project / "domain.yml")),
                *("--data", str(project / "data"), "--out", str(project / "models")),
                *("--rasa", str(rasa), *args),
            ]
        )
        return code, calls_made()

    def calls_made() -> list[list[str]]:
        lines = calls.read_text(encoding="utf-8").splitlines() if calls.exists() else []
        return [json.loads(line) for line in lines]

    return run


def add_hiya(project: Path) -> None:
    nlu = project / "data" / "nlu" / "chitchat.yml"
    nlu.write_text(NLU.replace("    - hi\n", "    - hi\n    - hiya\n"), encoding="utf-8")


def test_main_trains_in_full_records_then_fine_tunes_after_an_nlu_change(
    project: Path, run: Runner, capsys: pytest.CaptureFixture[str]
) -> None:
    model = project / "models" / "relay.tar.gz"

    assert run("--finetune")[0] == 0
    assert "Full training (there is no previous model" in capsys.readouterr().err
    assert model.read_text() == "full" and load_sources(model) is not None

    add_hiya(project)
    code, [call] = run("--finetune", "--epoch-fraction", "0.3")

    assert code == 0
    assert call[call.index("--finetune") + 1 :][:3] == [str(model), "--epoch-fraction", "0.3"]
    assert model.read_text() == "finetuned"
    recorded = load_sources(model)
    assert recorded is not None and recorded.finetunes == 1
    assert "Fine-tuning" in capsys.readouterr().err

    assert run("--finetune") == (0, [])
    assert "Kept" in capsys.readouterr().err


def test_main_falls_back_to_a_full_training_when_rasa_refuses(
    project: Path, run: Runner, capsys: pytest.CaptureFixture[str]
) -> None:
    run()
    add_hiya(project)

    code, calls = run("--finetune", refuse=True)

    assert code == 0
    assert ["--finetune" in call for call in calls] == [True, False]
    err = capsys.readouterr().err
    assert "Rasa did not fine-tune (Cannot finetune because more than just" in err
    assert "a full training instead" in err
    recorded = load_sources(project / "models" / "relay.tar.gz")
    assert recorded is not None and recorded.finetunes == 0


def test_without_finetune_main_always_trains_in_full(project: Path, run: Runner) -> None:
    run()
    add_hiya(project)

    code, [call] = run()

    assert code == 0 and "--finetune" not in call
