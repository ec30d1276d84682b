"""Where the Rasa server's start-up goes: Relay against a plain Rasa bot, phase by phase.

    python -m bot.tools.startup_profile [--model models/relay.tar.gz] \
        [--baseline models/bench/baseline.tar.gz] [--rounds 1] [--py-spy] [--out results/startup]

Each variant's Rasa server is started the way `make run` starts it (bot/tools/services.py,
through the bench's stacks: a data directory of its own, its action server started and
ready first), with Rasa's debug log and Python's import timing (PYTHONPROFILEIMPORTTIME)
on. Every 50 ms from the spawn, the server's CPU seconds (user + system, from /proc) and
the lines its log has gained are recorded, until it answers `/health` (`/` for the
baseline, which has no such route), then a first message ("hi": `action_session_start`
and `action_greet` run on the action server) and a second one. The log lines, stamped
when they arrived, split that into phases (interpreter and imports, archive unpacking,
graph schema, each graph node's load, after the load), each with its wall and CPU
seconds; the import timing says which packages the imports were. The variants, measured
in turn in the same run (CPU seconds are steadier than wall seconds on a shared machine):

- `relay`: Relay as it ships (bot/ops/model_loading.py: DIET and TED load without a
  training step, skops is imported before Rasa);
- `relay-before`: the same with RELAY_RASA_MODEL_LOAD=rasa, which loads it as before;
- `baseline`: `rasa run` with the plain Rasa bot of `make bench` (bot/tools/bench/baseline.py),
  or models/bench/quick.tar.gz (the same components, one epoch) when there is no full one.

With `--py-spy` each server also runs under py-spy (`.venv/bin/pip install py-spy`; not
needed otherwise), and its samples are sorted into TensorFlow's model building, weight
restoring, prediction tracing and imports (py-spy slows the server down: those wall
times are not comparable). Writes `report.md`, `profile.json`, `startup.png` and the
servers' logs into the output folder.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.settings import ROOT

RELAY = "relay"
BEFORE = "relay-before"
BASELINE = "baseline"
VARIANTS = (RELAY, BEFORE, BASELINE)
BASELINE_MODELS = (ROOT / "models/bench/baseline.tar.gz", ROOT / "models/bench/quick.tar.gz")
MESSAGES = ("hi", "hi")  # two senders: the first answer and a warm one
SAMPLE_SECONDS = 0.05
POLL_SECONDS = 0.1
START_SECONDS = 300.0
MESSAGE_TIMEOUT = 60.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# "2026-12-02 07:31:05,349 DEBUG    [-] rasa.engine.graph - Node 'run_X' loading 'X.load' ..."
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:,\d{3})? +\w+ +(?:\[[^\]]*\] )?")
NODE_LOADING = re.compile(r"Node '(?P<node>[^']+)' loading '")
MARKERS = {  # a log message's start -> the event it marks
    "Starting Rasa server on": "server",
    "Loading model ": "model",
    "Extracted model to": "extracted",
    "Rasa server is up and running.": "loaded",
}
# "import time:       123 |       4567 |     tensorflow.python"
IMPORT_LINE = re.compile(r"^import time:\s+(?P<self>\d+) \|\s+(?P<cum>\d+) \|(?P<name> *\S+)$")
OURS = ("bot", "actions")
# py-spy stacks (frames joined by ";"), sorted by the first rule whose text they contain.
SPY_RULES = (
    ("TF model: training step (build)", ("RasaModel.load", "fit (keras")),
    ("TF model: training step (build)", ("load (rasa/utils/tensorflow/models.py", "fit (keras")),
    ("TF model: forward pass (build)", ("load_without_fit", "batch_loss")),
    ("TF model: weights restore", ("load_weights",)),
    ("TF model: prediction trace", ("run_inference",)),
    ("imports", ("_find_and_load",)),
    ("spaCy load", ("spacy/__init__.py",)),
)


@dataclass
class Phase:
    """A stretch of the start-up, in seconds from the spawn (wall) and of CPU."""

    name: str
    start: float
    end: float
    cpu: float = 0.0

    @property
    def wall(self) -> float:
        return self.end - self.start


@dataclass
class Result:
    """One variant's start-up: milestones (s from spawn), phases, imports, replies."""

    variant: str
    model: str
    wall: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)
    phases: list[Phase] = field(default_factory=list)
    imports: dict[str, float] = field(default_factory=dict)
    our_imports: list[tuple[str, float]] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    spy: dict[str, int] = field(default_factory=dict)
    peak_rss_mb: float = 0.0  # VmHWM of the server's process tree after the second reply


def log_events(lines: list[tuple[float, str]]) -> list[tuple[float, str]]:
    """(seconds, event) of the log lines that mark phases: MARKERS, and `node:<name>` when a
    graph node starts loading. `lines` are (seconds from the spawn when the line was
    written, line): Rasa's CLI logs whole seconds only, so the lines' own stamps are not used."""
    events: list[tuple[float, str]] = []
    for at, line in lines:
        match = LOG_LINE.match(line)
        if not match:
            continue
        message = line[match.end() :]
        message = message.split(" - ", 1)[1].lstrip() if " - " in message else message
        node = NODE_LOADING.match(message)
        if node:
            events.append((at, "node:" + node["node"]))
            continue
        for start, event in MARKERS.items():
            if message.startswith(start):
                events.append((at, event))
    return events


def node_label(node: str) -> str:
    """`run_DIETClassifier7` -> `DIETClassifier`; `provide_SpacyNLP1` -> `SpacyNLP (provide)`;
    `run_bot.nlu.sentiment.SentimentAnalyzer10` -> `bot.nlu.sentiment.SentimentAnalyzer`."""
    kind, _, rest = node.partition("_")
    if kind not in ("run", "provide", "train") or not rest:
        return node
    name = re.sub(r"\d+$", "", rest)
    return name if kind == "run" else f"{name} ({kind})"


PHASE_NAMES = {
    "server": "interpreter, imports, channels",
    "model": "Sanic start, stores",
    "extracted": "model archive unpacking",
    "first_node": "graph schema, component imports",
}


def phases(events: list[tuple[float, str]], milestones: dict[str, float]) -> list[Phase]:
    """Consecutive phases from the spawn to the last milestone (`events`: log_events()).

    `milestones` are seconds from the spawn (`health`, `first_reply`, `second_reply`).
    Each node's load runs until the next node starts (the last one until `loaded`)."""
    marks: list[tuple[float, str]] = []
    seen: set[str] = set()
    first_node = True
    for at, event in events:
        if event.startswith("node:"):
            if first_node:
                marks.append((at, "first_node"))
                first_node = False
            marks.append((at, event))
        elif event not in seen:
            seen.add(event)
            marks.append((at, event))
            if event == "loaded":
                break  # a model loaded later (through the HTTP API) is not start-up
    for name in ("health", "first_reply", "second_reply"):
        if name in milestones:
            marks.append((milestones[name], name))
    result: list[Phase] = []
    start = 0.0
    labels = {
        **PHASE_NAMES,
        "loaded": None,
        "health": "after the load until it answers",
        "first_reply": "first message",
        "second_reply": "second message",
    }
    pending: str | None = None  # the node whose load runs until the next mark
    for at, event in marks:
        at = max(at, start)
        if pending is not None:
            result.append(Phase(f"load {node_label(pending)}", start, at))
            start, pending = at, None
        if event.startswith("node:"):
            pending = event[len("node:") :]
            continue
        label = labels.get(event)
        if label is not None:
            result.append(Phase(label, start, at))
        start = at
    return [phase for phase in result if phase.end > phase.start or phase.name.startswith("load")]


def cpu_at(samples: list[tuple[float, float]], at: float) -> float:
    """CPU seconds at `at` (s from the spawn), interpolated between (wall, cpu) samples."""
    if not samples:
        return 0.0
    if at <= samples[0][0]:
        return samples[0][1]
    for (t0, c0), (t1, c1) in zip(samples, samples[1:], strict=False):
        if t0 <= at <= t1:
            return c0 if t1 == t0 else c0 + (c1 - c0) * (at - t0) / (t1 - t0)
    return samples[-1][1]


def with_cpu(found: list[Phase], samples: list[tuple[float, float]]) -> list[Phase]:
    for phase in found:
        phase.cpu = cpu_at(samples, phase.end) - cpu_at(samples, phase.start)
    return found


def import_times(log: str) -> tuple[dict[str, float], list[tuple[str, float]]]:
    """From PYTHONPROFILEIMPORTTIME lines: seconds of imports per top-level package (each
    module's own time), and the imports our code started (a module of ours at the top of
    the chain, with everything it pulled in), longest first."""
    rows: list[tuple[int, str, float, float]] = []
    for line in log.splitlines():
        match = IMPORT_LINE.match(line)
        if match:
            name = match["name"]
            depth = (len(name) - len(name.lstrip(" ")) - 1) // 2
            rows.append((depth, name.strip(), int(match["self"]) / 1e6, int(match["cum"]) / 1e6))
    per_package: dict[str, float] = {}
    for _, name, own, _ in rows:
        package = name.split(".")[0]
        per_package[package] = per_package.get(package, 0.0) + own
    # A module is printed after what it imported; its parent is the next line one level up.
    ours: list[tuple[str, float]] = []
    for index, (depth, name, _, cumulative) in enumerate(rows):
        if name.split(".")[0] not in OURS:
            continue
        ancestors = _ancestors(rows, index, depth)
        if not any(parent.split(".")[0] in OURS for parent in ancestors):
            ours.append((name, cumulative))
    ordered = dict(sorted(per_package.items(), key=lambda item: -item[1]))
    return ordered, sorted(ours, key=lambda item: -item[1])


def _ancestors(rows: list[tuple[int, str, float, float]], index: int, depth: int) -> list[str]:
    found = []
    for later_depth, name, _, _ in rows[index + 1 :]:
        if later_depth < depth:
            found.append(name)
            depth = later_depth
            if depth == 0:
                break
    return found


def spy_summary(raw: str) -> dict[str, int]:
    """py-spy's raw output (`frames;... count` a line) as samples per SPY_RULES category."""
    counts: Counter[str] = Counter()
    for line in raw.splitlines():
        stack, _, number = line.rpartition(" ")
        if not stack or not number.isdigit():
            continue
        category = "other"
        for name, needles in SPY_RULES:
            if all(needle in stack for needle in needles):
                category = name
                break
        counts[category] += int(number)
    return dict(counts.most_common())


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of `pid` and its descendants (Linux /proc)."""
    total = 0.0
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                todo.extend(int(child) for child in children)
        except (OSError, IndexError, ValueError):
            continue
    return total


class Watcher(threading.Thread):
    """Every SAMPLE_SECONDS until stopped: the CPU seconds of a process tree, and the lines
    its log has gained, each with the seconds since `started` (time.monotonic())."""

    def __init__(self, pid: int, started: float, log: Path) -> None:
        super().__init__(daemon=True)
        self.pid, self.started, self.log = pid, started, log
        self.samples: list[tuple[float, float]] = []
        self.lines: list[tuple[float, str]] = []
        self.halt = threading.Event()

    def run(self) -> None:
        with self.log.open("rb") as handle:
            partial = b""
            while True:
                stopping = self.halt.is_set()
                at = time.monotonic() - self.started
                self.samples.append((at, tree_cpu_seconds(self.pid)))
                partial += handle.read()
                *complete, partial = partial.split(b"\n")
                self.lines += [(at, line.decode(errors="replace")) for line in complete]
                if stopping:
                    return
                self.halt.wait(SAMPLE_SECONDS)


async def _until_up(url: str, process: subprocess.Popen[bytes], started: float) -> float:
    import aiohttp

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        while time.monotonic() - started < START_SECONDS:
            if process.poll() is not None:
                raise RuntimeError(
                    f"the Rasa server exited while starting (code {process.returncode})"
                )
            try:
                async with session.get(url) as answer:
                    if answer.status == 200:
                        return time.monotonic() - started
            except (aiohttp.ClientError, asyncio.TimeoutError):
                pass
            await asyncio.sleep(POLL_SECONDS)
    raise RuntimeError(f"the Rasa server did not answer {url} within {START_SECONDS:g} s")


async def _say(stack: Any, sender: str, text: str) -> str:
    import aiohttp

    from bot.tools.bench.stacks import REST_PATH

    timeout = aiohttp.ClientTimeout(total=MESSAGE_TIMEOUT)
    async with aiohttp.ClientSession(timeout=timeout, headers=stack.headers) as session:
        body = {"sender": stack.sender(sender), "message": text}
        async with session.post(stack.url + REST_PATH, json=body) as answer:
            answer.raise_for_status()
            messages = await answer.json()
    return " / ".join(str(message.get("text", "")) for message in messages)


def make_stack(variant: str, model: Path, data_dir: Path) -> Any:
    from bot.tools.bench.stacks import BaselineStack, RelayStack

    cls = BaselineStack if variant == BASELINE else RelayStack
    return cls(data_dir=data_dir, model=model)


async def measure(variant: str, model: Path, data_dir: Path, spy: bool) -> Result:
    """Starts `variant`'s action server, then its Rasa server, and times the Rasa server."""
    from bot.tools.soak.stack import ACTIONS, RASA

    stack = make_stack(variant, model, data_dir)
    stack.prepare()
    stack.spawn(ACTIONS)
    result = Result(variant=variant, model=str(model))
    watcher: Watcher | None = None
    log, spy_out = stack.log(RASA), data_dir / "py-spy.txt"
    try:
        await stack.wait_ready(ACTIONS)
        env = {**stack.env(), "LOG_LEVEL": "DEBUG", "PYTHONPROFILEIMPORTTIME": "1"}
        if variant == BEFORE:
            env["RELAY_RASA_MODEL_LOAD"] = "rasa"
        command = stack.command(RASA)
        if spy:
            command = [py_spy(), "record", "--nonblocking", "-r", "50", "-f", "raw",
                       "-o", str(spy_out), "--", *command]  # fmt: skip
        started = time.monotonic()
        with log.open("ab") as handle:
            process = subprocess.Popen(
                command, env=env, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        stack.processes[RASA] = process
        watcher = Watcher(process.pid, started, log)
        watcher.start()
        await _first_replies(stack, variant, process, started, result)
    finally:
        if watcher is not None:
            watcher.halt.set()
            watcher.join()
        stack.stop()
    assert watcher is not None
    text = "\n".join(line for _, line in watcher.lines)
    result.phases = with_cpu(phases(log_events(watcher.lines), result.wall), watcher.samples)
    result.imports, result.our_imports = import_times(text)
    if spy and spy_out.exists():
        result.spy = spy_summary(spy_out.read_text(encoding="utf-8", errors="replace"))
    return result


async def _first_replies(
    stack: Any, variant: str, process: subprocess.Popen[bytes], started: float, result: Result
) -> None:
    """Waits until the server answers, then sends MESSAGES; records wall and CPU seconds."""
    from bot.tools.bench.memory import HWM, tree_kb

    health = stack.url + ("/" if variant == BASELINE else "/health")
    result.wall["health"] = await _until_up(health, process, started)
    result.cpu["health"] = tree_cpu_seconds(process.pid)
    for index, (name, text) in enumerate(
        zip(("first_reply", "second_reply"), MESSAGES, strict=True)
    ):
        result.replies.append(await _say(stack, f"startup-{variant}-{index}-{os.getpid()}", text))
        result.wall[name] = time.monotonic() - started
        result.cpu[name] = tree_cpu_seconds(process.pid)
    result.peak_rss_mb = tree_kb(process.pid, HWM) / 1024


def py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(found).exists():
        raise SystemExit(
            "py-spy is not installed: .venv/bin/pip install py-spy (or leave out --py-spy)"
        )
    return found


GROUPS = (  # plot colours: a phase goes to the first group whose text it contains
    ("interpreter, imports, channels", "interpreter", "#9ecae1"),
    ("graph schema, component imports", "graph schema", "#c6dbef"),
    ("DIET / ResponseSelector", "DIETClassifier", "#e6550d"),
    ("DIET / ResponseSelector", "ResponseSelector", "#e6550d"),
    ("TED / UnexpecTED", "TEDPolicy", "#fd8d3c"),
    ("TED / UnexpecTED", "UnexpecTED", "#fd8d3c"),
    ("spaCy", "Spacy", "#31a354"),
    ("Relay's components", "load bot.", "#756bb1"),
    ("first message", "first message", "#636363"),
)


def group_of(phase: str) -> tuple[str, str]:
    for name, needle, colour in GROUPS:
        if needle in phase:
            return name, colour
    return "other (unpacking, other components, Sanic)", "#d9d9d9"


def summary(results: list[Result]) -> dict[str, dict[str, float]]:
    """Per variant: mean seconds (wall and CPU) to /health and to the first reply, and the
    mean peak RSS (MB)."""
    found: dict[str, dict[str, list[float]]] = {}
    for result in results:
        into = found.setdefault(result.variant, {})
        into.setdefault("peak_rss_mb", []).append(result.peak_rss_mb)
        for kind, values in (("wall", result.wall), ("cpu", result.cpu)):
            for name in ("health", "first_reply"):
                if name in values:
                    into.setdefault(f"{kind}_{name}", []).append(values[name])
    return {
        variant: {key: sum(values) / len(values) for key, values in numbers.items()}
        for variant, numbers in found.items()
    }


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = os.getloadavg()[0]
    return (
        f"{os.cpu_count()} CPUs ({platform.processor() or platform.machine()}), "
        f"{memory:.0f} GiB RAM, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}; "
        f"load average (1 min) at the start {load:.2f}"
    )


def report(results: list[Result], command: str, machine_line: str, stamp: str) -> str:
    """The Markdown report: totals per variant, then each run's phases and imports."""
    lines = [
        "# Rasa server start-up",
        "",
        f"{stamp}. Machine: {machine_line}. Command: `{command}`",
        "",
        "| variant | to /health, wall (s) | CPU (s) | to the first reply, wall (s) | CPU (s) "
        "| peak RSS (MB) | runs |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    runs = Counter(result.variant for result in results)
    for variant, numbers in summary(results).items():
        keys = ("wall_health", "cpu_health", "wall_first_reply", "cpu_first_reply")
        cells = " | ".join(f"{numbers.get(key, 0.0):.1f}" for key in keys)
        lines.append(
            f"| {variant} | {cells} | {numbers.get('peak_rss_mb', 0.0):.0f} | {runs[variant]} |"
        )
    for index, result in enumerate(results, 1):
        lines += ["", f"## Run {index}: {result.variant} (`{result.model}`)", ""]
        lines += ["| phase | from (s) | wall (s) | CPU (s) |", "| --- | ---: | ---: | ---: |"]
        for phase in result.phases:
            lines.append(
                f"| {phase.name} | {phase.start:.1f} | {phase.wall:.2f} | {phase.cpu:.2f} |"
            )
        top = ", ".join(
            f"{name} {seconds:.2f}" for name, seconds in list(result.imports.items())[:8]
        )
        total = sum(result.imports.values())
        lines += ["", f"Imports, {total:.1f} s wall in all; by package (own time, s): {top}."]
        if result.our_imports:
            ours = ", ".join(f"{name} {seconds:.2f}" for name, seconds in result.our_imports[:6])
            lines.append(f"Started by Relay's modules (with what they pulled in, s): {ours}.")
        if result.spy:
            samples = sum(result.spy.values())
            shares = ", ".join(
                f"{name} {count / samples:.0%}" for name, count in result.spy.items()
            )
            lines.append(f"py-spy ({samples} samples): {shares}.")
        replies = " | ".join(reply[:70] for reply in result.replies)
        lines.append(f"Replies: {replies}")
    return "\n".join(lines) + "\n"


def plot(results: list[Result], out: Path) -> Path:
    """Stacked bars of CPU seconds per phase group, one bar per run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 1.4 + 0.6 * len(results)))
    legend: dict[str, Any] = {}
    labels = []
    for row, result in enumerate(results):
        grouped: dict[str, tuple[float, str]] = {}
        for phase in result.phases:
            if phase.name == "second message":
                continue
            name, colour = group_of(phase.name)
            grouped[name] = (grouped.get(name, (0.0, colour))[0] + phase.cpu, colour)
        left = 0.0
        for name, (seconds, colour) in grouped.items():
            legend[name] = ax.barh(row, seconds, 0.6, left=left, color=colour)
            left += seconds
        wall = result.wall.get("first_reply", 0.0)
        ax.text(left + 0.5, row, f"{left:.0f} s CPU, {wall:.0f} s wall", va="center", fontsize=8)
        labels.append(result.variant)
    ax.set_yticks(range(len(results)), labels)
    ax.invert_yaxis()
    ax.set_xlabel("CPU seconds from the spawn to the first reply")
    ax.legend(legend.values(), legend.keys(), fontsize=7, loc="lower right")
    ax.set_title("Rasa server start-up, per phase")
    fig.tight_layout()
    path = out / "startup.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def baseline_model(given: Path | None) -> Path | None:
    if given is not None:
        return given
    return next((path for path in BASELINE_MODELS if path.exists()), None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / "models/relay.tar.gz")
    parser.add_argument("--baseline", type=Path, default=None)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--py-spy", action="store_true", dest="spy")
    parser.add_argument("--out", type=Path, default=ROOT / "results/startup")
    args = parser.parse_args(argv)
    variants = [name.strip() for name in args.variants.split(",") if name.strip()]
    baseline = baseline_model(args.baseline)
    if BASELINE in variants and baseline is None:
        print("No baseline model: `make bench` trains one; measuring Relay only.", file=sys.stderr)
        variants.remove(BASELINE)
    if args.spy:
        py_spy()
    machine_line = machine()
    stamp = f"{datetime.now():%Y-%m-%d %H:%M} (local time)"
    args.out.mkdir(parents=True, exist_ok=True)
    results: list[Result] = []
    for round_ in range(args.rounds):
        order = variants if round_ % 2 == 0 else variants[::-1]
        for variant in order:
            model = baseline if variant == BASELINE else args.model
            assert model is not None
            with tempfile.TemporaryDirectory(prefix=f"startup-{variant}-") as directory:
                result = asyncio.run(measure(variant, model, Path(directory), args.spy))
                for log in Path(directory).glob("*.log"):
                    shutil.copy(log, args.out / f"{round_ + 1}-{variant}-{log.name}")
            results.append(result)
            wall, cpu = result.wall, result.cpu
            print(
                f"{variant}: /health {wall['health']:.1f} s ({cpu['health']:.1f} s CPU), "
                f"first reply {wall['first_reply']:.1f} s ({cpu['first_reply']:.1f} s CPU)",
                flush=True,
            )
    command = "python -m bot.tools.startup_profile " + " ".join(argv or sys.argv[1:])
    payload = {"machine": machine_line, "date": stamp, "command": command.strip(),
               "results": [asdict(result) for result in results]}  # fmt: skip
    (args.out / "profile.json").write_text(json.dumps(payload, indent=2), encoding="utf-8")
    (args.out / "report.md").write_text(
        report(results, command.strip(), machine_line, stamp), encoding="utf-8"
    )
    plot(results, args.out)
    print(f"Report: {args.out / 'report.md'}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
