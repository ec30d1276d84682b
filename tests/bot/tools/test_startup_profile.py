"""bot/tools/startup_profile.py: logs, import timing and py-spy's samples, read into phases."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.tools import startup_profile as sp

GRAPH = "rasa.engine.graph"


def relay(time: str, logger: str, message: str, level: str = "DEBUG") -> str:
    """A line as Relay's server logs it (bot/ops/logs.py: milliseconds, the conversation)."""
    return f"2026-12-02 {time} {level:<8} [-] {logger} - {message}"


def node(name: str, component: str) -> str:
    return f"Node '{name}' loading '{component}.load' and kwargs: '{{}}'."


# (seconds from the spawn when the line arrived, line)
RELAY_LOG = [
    (0.5, "/site-packages/sanic_cors/extension.py:39: DeprecationWarning: distutils Version"),
    (7.775, relay("07:30:57,775", "root", "Starting Rasa server on http://127.0.0.1:5", "INFO")),
    (7.817, relay("07:30:57,817", "rasa.core.processor", "Loading model m.tar.gz...", "INFO")),
    (8.212, relay("07:30:58,212", "rasa.engine.storage", "Extracted model to '/tmp/x'.")),
    (15.349, relay("07:31:05,349", GRAPH, node("nlu_message_converter", "NLUMessageConverter"))),
    (15.35, relay("07:31:05,350", GRAPH, node("provide_SpacyNLP1", "SpacyNLP"))),
    (16.539, relay("07:31:06,539", GRAPH, node("run_DIETClassifier7", "DIETClassifier"))),
    (54.256, relay("07:31:44,256", GRAPH, node("run_bot.nlu.sentiment.SentimentAnalyzer10", "S"))),
    (55.0, relay("07:31:45,000", GRAPH, node("run_TEDPolicy3", "TEDPolicy"))),
    (66.888, relay("07:31:56,888", "rasa.core.run", "Rasa server is up and running.", "INFO")),
    (67.2, relay("07:31:57,212", GRAPH, "Node 'run_DIETClassifier7' running 'X.process'.")),
    (100.0, relay("07:32:30,000", "rasa.core.processor", "Loading model o.tar.gz...", "INFO")),
    (101.0, relay("07:32:31,000", GRAPH, node("run_DIETClassifier7", "DIETClassifier"))),
]
# What `rasa run` logs: whole seconds, no conversation.
BASELINE_LOG = [
    (4.0, "2026-12-02 07:43:28 DEBUG    h5py._conv  - Creating converter from 7 to 5"),
    (5.5, "2026-12-02 07:43:30 INFO     root  - Starting Rasa server on http://127.0.0.1:5005"),
    (6.7, f"2026-12-02 07:43:31 DEBUG    {GRAPH}  - {node('run_DIETClassifier5', 'DIET')}"),
]
IMPORTS = """\
import time: self [us] | cumulative | imported package
import time:       100 |        100 |     numpy.core
import time:       200 |        300 |   numpy
import time:      1000 |       1300 | bot.nlu.sentiment_model
import time:    500000 |     500000 |     skops.io._trusted_types
import time:       300 |     500300 |   skops.io
import time:       700 |     501000 | bot.nlu.sentiment
import time:      2000 |       2000 | tensorflow
2026-12-02 07:30:57,775 INFO     [-] root - Starting Rasa server
"""


def test_the_log_lines_that_mark_phases_are_found_in_both_formats() -> None:
    events = sp.log_events(RELAY_LOG)

    assert [event for _, event in events] == [
        "server",
        "model",
        "extracted",
        "node:nlu_message_converter",
        "node:provide_SpacyNLP1",
        "node:run_DIETClassifier7",
        "node:run_bot.nlu.sentiment.SentimentAnalyzer10",
        "node:run_TEDPolicy3",
        "loaded",
        "model",  # a model loaded later (phases() stops at "loaded")
        "node:run_DIETClassifier7",
    ]
    assert events[0] == (7.775, "server")
    baseline = sp.log_events(BASELINE_LOG)
    assert baseline == [(5.5, "server"), (6.7, "node:run_DIETClassifier5")]


@pytest.mark.parametrize(
    ("node", "label"),
    [
        ("run_DIETClassifier7", "DIETClassifier"),
        ("provide_SpacyNLP1", "SpacyNLP (provide)"),
        ("run_bot.nlu.sentiment.SentimentAnalyzer10", "bot.nlu.sentiment.SentimentAnalyzer"),
        ("domain_provider", "domain_provider"),
        ("select_prediction", "select_prediction"),
    ],
)
def test_graph_nodes_are_named_after_their_component(node: str, label: str) -> None:
    assert sp.node_label(node) == label


def test_the_start_up_is_split_into_consecutive_phases() -> None:
    milestones = {"health": 67.0, "first_reply": 68.0, "second_reply": 68.25}

    found = sp.phases(sp.log_events(RELAY_LOG), milestones)

    named = [(phase.name, round(phase.start, 3), round(phase.wall, 3)) for phase in found]
    assert named == [
        ("interpreter, imports, channels", 0.0, 7.775),
        ("Sanic start, stores", 7.775, 0.042),
        ("model archive unpacking", 7.817, 0.395),
        ("graph schema, component imports", 8.212, 7.137),
        ("load nlu_message_converter", 15.349, 0.001),
        ("load SpacyNLP (provide)", 15.35, 1.189),
        ("load DIETClassifier", 16.539, 37.717),
        ("load bot.nlu.sentiment.SentimentAnalyzer", 54.256, 0.744),
        ("load TEDPolicy", 55.0, 11.888),
        ("after the load until it answers", 66.888, 0.112),
        ("first message", 67.0, 1.0),
        ("second message", 68.0, 0.25),
    ]
    assert found[-1].end == 68.25  # consecutive: each starts where the one before ended
    assert all(a.end == pytest.approx(b.start) for a, b in zip(found, found[1:], strict=False))


def test_a_log_without_markers_leaves_one_phase_until_it_answers() -> None:
    found = sp.phases([], {"health": 90.0, "first_reply": 91.0})

    assert [(phase.name, phase.wall) for phase in found] == [
        ("after the load until it answers", 90.0),
        ("first message", 1.0),
    ]


def test_cpu_seconds_are_interpolated_between_samples() -> None:
    samples = [(0.0, 0.0), (1.0, 0.5), (3.0, 2.5)]

    assert sp.cpu_at(samples, -1.0) == 0.0
    assert sp.cpu_at(samples, 0.5) == pytest.approx(0.25)
    assert sp.cpu_at(samples, 2.0) == pytest.approx(1.5)
    assert sp.cpu_at(samples, 10.0) == 2.5
    assert sp.cpu_at([], 1.0) == 0.0
    phases = sp.with_cpu([sp.Phase("a", 0.0, 1.0), sp.Phase("b", 1.0, 3.0)], samples)
    assert [phase.cpu for phase in phases] == [pytest.approx(0.5), pytest.approx(2.0)]


def test_import_times_by_package_and_the_imports_relay_started() -> None:
    per_package, ours = sp.import_times(IMPORTS)

    assert per_package == {
        "skops": pytest.approx(0.5003),
        "tensorflow": pytest.approx(0.002),
        "bot": pytest.approx(0.0017),
        "numpy": pytest.approx(0.0003),
    }
    # bot.nlu.sentiment_model is at the top of its chain; bot.nlu.sentiment too, with skops in it
    assert ours == [
        ("bot.nlu.sentiment", pytest.approx(0.501)),
        ("bot.nlu.sentiment_model", 0.0013),
    ]


def test_py_spy_samples_are_sorted_into_categories() -> None:
    raw = "\n".join(
        [
            "main (x.py:1);load (rasa/utils/tensorflow/models.py:445);fit (keras/training.py:1) 30",
            "main (x.py:1);load_without_fit (bot/ops/model_loading.py:60);batch_loss (d.py:1) 4",
            "main (x.py:1);load_weights (keras/engine/training.py:2) 1",
            "main (x.py:1);run_inference (rasa/utils/tensorflow/models.py:329) 5",
            "main (x.py:1);_find_and_load (<frozen importlib._bootstrap>:1) 8",
            "main (x.py:1);serve (sanic/server.py:1) 2",
            "garbage",
        ]
    )

    assert sp.spy_summary(raw) == {
        "TF model: training step (build)": 30,
        "imports": 8,
        "TF model: prediction trace": 5,
        "TF model: forward pass (build)": 4,
        "other": 2,
        "TF model: weights restore": 1,
    }


def test_the_cpu_of_this_process_is_read_from_proc() -> None:
    before = sp.tree_cpu_seconds(os.getpid())
    sum(i * i for i in range(200_000))

    assert sp.tree_cpu_seconds(os.getpid()) >= before > 0
    assert sp.tree_cpu_seconds(2**22 + 12345) == 0.0  # no such process


def result(variant: str, health: float, cpu: float) -> sp.Result:
    return sp.Result(
        variant=variant,
        model=f"models/{variant}.tar.gz",
        wall={"health": health, "first_reply": health + 1.0},
        cpu={"health": cpu, "first_reply": cpu + 0.5},
        phases=[
            sp.Phase("interpreter, imports, channels", 0.0, 5.0, 4.0),
            sp.Phase("load DIETClassifier", 5.0, health, cpu - 4.0),
            sp.Phase("first message", health, health + 1.0, 0.5),
        ],
        imports={"tensorflow": 3.0, "skops": 1.0},
        our_imports=[("bot.nlu.sentiment", 1.2)],
        replies=["Hi! I'm Relay"],
        spy={"imports": 3, "other": 1},
        peak_rss_mb=health * 50,
    )


def test_the_summary_averages_each_variant_over_its_runs() -> None:
    results = [result("relay", 20.0, 18.0), result("relay", 30.0, 20.0), result("baseline", 60, 55)]

    assert sp.summary(results) == {
        "relay": {
            "wall_health": 25.0,
            "wall_first_reply": 26.0,
            "cpu_health": 19.0,
            "cpu_first_reply": 19.5,
            "peak_rss_mb": 1250.0,
        },
        "baseline": {
            "wall_health": 60,
            "wall_first_reply": 61.0,
            "cpu_health": 55,
            "cpu_first_reply": 55.5,
            "peak_rss_mb": 3000.0,
        },
    }


def test_the_report_has_the_totals_then_each_runs_phases() -> None:
    results = [result("relay", 20.0, 18.0), result("baseline", 60.0, 55.0)]

    text = sp.report(results, "python -m bot.tools.startup_profile", "2 CPUs", "2026-12-02 08:00")

    assert "| relay | 20.0 | 18.0 | 21.0 | 18.5 | 1000 | 1 |" in text
    assert "| baseline | 60.0 | 55.0 | 61.0 | 55.5 | 3000 | 1 |" in text
    assert "## Run 2: baseline (`models/baseline.tar.gz`)" in text
    assert "| load DIETClassifier | 5.0 | 15.00 | 14.00 |" in text
    assert "by package (own time, s): tensorflow 3.00, skops 1.00." in text
    assert (
        "Started by Relay's modules (with what they pulled in, s): bot.nlu.sentiment 1.20." in text
    )
    assert "py-spy (4 samples): imports 75%, other 25%." in text


def test_the_plot_is_written(tmp_path: Path) -> None:
    path = sp.plot([result("relay", 20.0, 18.0), result("baseline", 60.0, 55.0)], tmp_path)

    assert path == tmp_path / "startup.png" and path.stat().st_size > 1000


@pytest.mark.parametrize(
    ("phase", "group"),
    [
        ("load DIETClassifier", "DIET / ResponseSelector"),
        ("load ResponseSelector", "DIET / ResponseSelector"),
        ("load UnexpecTEDIntentPolicy", "TED / UnexpecTED"),
        ("load SpacyNLP (provide)", "spaCy"),
        ("load bot.nlu.sentiment.SentimentAnalyzer", "Relay's components"),
        ("model archive unpacking", "other (unpacking, other components, Sanic)"),
    ],
)
def test_phases_are_grouped_for_the_plot(phase: str, group: str) -> None:
    assert sp.group_of(phase)[0] == group


def test_the_baseline_model_is_the_full_one_else_the_quick_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    full, quick = tmp_path / "baseline.tar.gz", tmp_path / "quick.tar.gz"
    monkeypatch.setattr(sp, "BASELINE_MODELS", (full, quick))

    assert sp.baseline_model(None) is None
    quick.write_bytes(b"x")
    assert sp.baseline_model(None) == quick
    full.write_bytes(b"x")
    assert sp.baseline_model(None) == full
    assert sp.baseline_model(Path("given.tar.gz")) == Path("given.tar.gz")
