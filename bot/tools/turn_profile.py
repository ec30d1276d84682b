"""Where a Rasa server's CPU goes while it serves customers: `make profile-turns`.

    python -m bot.tools.turn_profile [--level 10] [--seconds 30] [--gil] [--out results/turns]

Starts Relay as the bench does (bot/tools/bench/stacks.py: the trained model, its
action server, SQLite), warms it up with every bench script once, then lets `--level`
simulated customers talk to it for `--seconds` (bot/tools/bench/load.py) while py-spy
samples the Rasa server 100 times a second. Each sample (a stack of the threads that
were running, not waiting) is put in the part (PARTS) of its innermost frame that is in
one, so Relay's own time stands out: report.md (a table of shares, and Relay's
hottest functions), profile.json, parts.png and py-spy's raw stacks.

py-spy must be installed beside the venv's Python or on PATH (`pip install py-spy`;
its samples cost the server a few per cent).

Exit status: 0 profiled, 2 Relay did not start or py-spy is missing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from bot.settings import ROOT
from bot.tools.bench.load import Channel, Plan, run_level, warm_up
from bot.tools.bench.scripts import pick
from bot.tools.bench.stacks import RelayStack
from bot.tools.soak.report import machine
from bot.tools.soak.stack import RASA, StackError

MODEL = ROOT / "models" / "relay.tar.gz"
RATE = 100  # samples a second
OURS = (f"{ROOT}/bot/", f"{ROOT}/actions/")
# Innermost frames of a thread that waits (py-spy can't always tell, without pausing the
# process, a thread blocked in C from a running one): such samples are not CPU.
WAITING = (
    "_worker (/",  # an idle worker thread, waiting for work (concurrent/futures/thread.py)
    "wait (/",  # threading's Condition and Event
    "select (/",  # an event loop with nothing to do
    "run_forever (/",
    "serve (/",  # Sanic's loop, waiting in C
)
# (part, texts one of which a frame's file contains). A sample goes to the part of its
# innermost frame that is in one: Relay's code by its own time, a library by the time
# spent inside it (spaCy called by Relay's sentiment counts as spaCy).
PARTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Relay: sentiment", (f"{ROOT}/bot/nlu/sentiment",)),
    ("Relay: other NLU components", (f"{ROOT}/bot/nlu/",)),
    ("Relay: policies", (f"{ROOT}/bot/policies/",)),
    ("Relay: channels, gate, console", (f"{ROOT}/bot/channels/", f"{ROOT}/bot/console/")),
    ("Relay: the rest (ops, services, handoff)", (f"{ROOT}/bot/", f"{ROOT}/actions/")),
    ("spaCy", ("/spacy/", "/thinc/", "/srsly/")),
    ("DIET", ("/diet_classifier.py",)),
    ("TED", ("/ted_policy.py",)),
    ("TensorFlow, Keras", ("/tensorflow/", "/keras/")),
    ("featurizers", ("/featurizers/",)),
    ("other policies", ("/rasa/core/policies/",)),
    ("SQL (SQLAlchemy, SQLite)", ("/sqlalchemy/", "/sqlite3/")),
    ("Rasa: tracker store", ("/rasa/core/tracker_store.py",)),
    ("Rasa: events, trackers, domain", ("/rasa/shared/core/",)),
    ("Rasa: action calls and their checks", ("/rasa/core/actions/", "/jsonschema/")),
    ("Rasa: processor, graph, the rest", ("/rasa/",)),
    ("HTTP (Sanic, aiohttp, httptools)", ("/sanic/", "/aiohttp/", "/httptools/", "/multidict/")),
    ("JSON, YAML", ("/json/", "ujson", "/yaml/", "ruamel")),
    ("asyncio", ("/asyncio/",)),
    ("NumPy, SciPy, scikit-learn", ("/numpy/", "/scipy/", "/sklearn/")),
)
OTHER = "other (the interpreter, the standard library)"


@dataclass
class Profile:
    """The samples of one run, by part, and Relay's own functions by their own time (the
    samples whose innermost frame is Relay's)."""

    samples: int = 0
    waiting: int = 0
    parts: Counter[str] = field(default_factory=Counter)
    ours: Counter[str] = field(default_factory=Counter)


def part_of(frames: list[str]) -> str:
    """The part of PARTS of a py-spy stack's innermost frame that is in one (frames
    outermost first, each `function (file:line)`)."""
    for frame in reversed(frames):
        where = frame.partition(" (")[2]
        for name, needles in PARTS:
            if any(needle in where for needle in needles):
                return name
    return OTHER


def innermost_ours(frames: list[str]) -> str | None:
    """The innermost frame of Relay's own code in a stack, as `function (file:line)`."""
    for frame in reversed(frames):
        if any(f"({part}" in frame for part in OURS):
            return frame
    return None


def waiting(frames: list[str]) -> bool:
    """Whether a sample's thread was waiting, by its innermost frame."""
    return frames[-1].startswith(WAITING)


def read_raw(text: str) -> Profile:
    """py-spy's raw output: a line per distinct stack, `frames... count`."""
    profile = Profile()
    for line in text.splitlines():
        stack, _, number = line.rpartition(" ")
        if not stack or not number.isdigit():
            continue
        count = int(number)
        frames = stack.split(";")
        if waiting(frames):
            profile.waiting += count
            continue
        profile.samples += count
        profile.parts[part_of(frames)] += count
        if innermost_ours(frames[-1:]) is not None:  # Relay's own code was running
            profile.ours[_short(frames[-1])] += count
    return profile


def _short(frame: str) -> str:
    """`function (/long/path/bot/x.py:12)` as `function (bot/x.py)`."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    path = path.removeprefix(f"{ROOT}/")
    return f"{name} ({path})"


def markdown(profile: Profile, figures: dict[str, object], command: str) -> str:
    host = machine()
    total = max(profile.samples, 1)
    lines = [
        "# Where a Rasa server's CPU goes while serving customers",
        "",
        f"- Command: `{command}`",
        f"- Machine: {host.cpu}, {host.cores} cores, {host.ram_gb:.1f} GB RAM, "
        f"Python {host.python}, {host.system}",
        f"- Load: {figures['level']} customers for {figures['seconds']} s, "
        f"{figures['turns']} turns ({figures['turns_per_second']} turns/s, "
        f"{figures['errors']} errors); load average before / after "
        f"{figures['load_before']} / {figures['load_after']}",
        f"- py-spy: {profile.samples} samples of running threads at {RATE}/s (and "
        f"{profile.waiting} of threads waiting, left out)"
        + ("; only the thread holding the GIL (`--gil`)" if figures.get("gil") else ""),
        "",
        "| Part | Samples | Share |",
        "| --- | ---: | ---: |",
    ]
    for name, count in profile.parts.most_common():
        lines.append(f"| {name} | {count} | {100 * count / total:.1f}% |")
    ours = sum(count for name, count in profile.parts.items() if name.startswith("Relay"))
    lines += ["", f"Relay's own code: {100 * ours / total:.1f}% of the samples.", ""]
    lines += ["Relay's hottest functions, by their own time (the sample's innermost frame):", ""]
    lines += ["| Function | Samples | Share |", "| --- | ---: | ---: |"]
    for name, count in profile.ours.most_common(15):
        lines.append(f"| `{name}` | {count} | {100 * count / total:.1f}% |")
    return "\n".join(lines) + "\n"


def plot(profile: Profile, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    parts = profile.parts.most_common()
    total = max(profile.samples, 1)
    fig, axes = plt.subplots(figsize=(9, 0.4 * len(parts) + 1.2))
    names = [name for name, _ in parts][::-1]
    shares = [100 * count / total for _, count in parts][::-1]
    colours = ["#d95f02" if name.startswith("Relay") else "#7570b3" for name in names]
    axes.barh(names, shares, color=colours)
    axes.set_xlabel("share of the Rasa server's samples (%)")
    axes.set_title("Where the CPU goes while serving customers (Relay's own code in orange)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def py_spy() -> str | None:
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


async def _serve(stack: RelayStack, level: int, seconds: float) -> dict[str, object]:
    channel = Channel(stack.url + "/webhooks/rest/webhook", stack.headers, stack.sender)
    scripts = pick(None)
    run_id = f"p{os.getpid()}"
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        await warm_up(session, channel, Plan(1, seconds, scripts, run_id))
        run = await run_level(session, channel, Plan(level, seconds, scripts, run_id))
    return {
        "turns": len(run.turns),
        "errors": sum(turn.error for turn in run.turns),
        "turns_per_second": round(len(run.turns) / max(run.elapsed, 1e-9), 2),
    }


def profile_run(
    spy: str, level: int, seconds: float, out: Path, gil: bool = False
) -> dict[str, object]:
    """Starts Relay, serves `level` customers for `seconds` under py-spy; writes out/."""
    raw = out / "py-spy.txt"
    with tempfile.TemporaryDirectory(prefix="relay-turns-") as folder:
        stack = RelayStack(Path(folder), MODEL)
        try:
            asyncio.run(stack.start())
            pid = stack.processes[RASA].pid
            # Attached only now: the model's loading is not what is measured.
            recorder = subprocess.Popen(
                [spy, "record", "--nonblocking", "--full-filenames", "-r", str(RATE), "-f", "raw",
                 "-o", str(raw), "--pid", str(pid), *(["--gil"] if gil else [])],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            before = os.getloadavg()[0]
            time.sleep(1.0)  # py-spy attaches
            figures = asyncio.run(_serve(stack, level, seconds))
            recorder.send_signal(signal.SIGINT)  # py-spy writes its file on Ctrl-C
            recorder.wait(timeout=60)
            figures.update(load_before=f"{before:.2f}", load_after=f"{os.getloadavg()[0]:.2f}")
        finally:
            stack.stop()
    return {"level": level, "seconds": seconds, "gil": gil, **figures}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--level", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "turns")
    parser.add_argument(
        "--gil",
        action="store_true",
        help="only samples of the thread holding the GIL: Python's own CPU (work in C that "
        "lets go of the GIL, TensorFlow's and SQLite's, and waits on the disk are left out)",
    )
    args = parser.parse_args(argv)
    spy = py_spy()
    if spy is None:
        print("py-spy is not installed: pip install py-spy", file=sys.stderr)
        return 2
    if not MODEL.exists():
        print(f"{MODEL} is missing: run `make train` first", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        figures = profile_run(spy, args.level, args.seconds, args.out, args.gil)
    except StackError as error:
        print(f"Relay did not start: {error}", file=sys.stderr)
        return 2
    profile = read_raw((args.out / "py-spy.txt").read_text(encoding="utf-8", errors="replace"))
    command = "python -m bot.tools.turn_profile " + " ".join(argv or sys.argv[1:])
    report = markdown(profile, figures, command.strip())
    (args.out / "report.md").write_text(report, encoding="utf-8")
    (args.out / "profile.json").write_text(
        json.dumps(
            {**figures, "samples": profile.samples, "parts": dict(profile.parts),
             "ours": dict(profile.ours.most_common(40))},
            indent=2,
        ),
        encoding="utf-8",
    )  # fmt: skip
    plot(profile, args.out / "parts.png")
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
