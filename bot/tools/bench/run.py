"""`make bench`: Relay against a plain Rasa bot and against its own scaled profile, the
same customers, one run.

    python -m bot.tools.bench [--levels 1,10,50,100] [--seconds 30]
        [--baseline full|quick|none] [--no-scaled]

Three stacks, each with its own action server and databases:
- `relay`: Relay as `make run` starts it, one Rasa process, SQLite (bot/tools/bench/stacks.py);
- `baseline`: a plain Rasa bot (bot/tools/bench/baseline.py). `--baseline full` (the default)
  is `rasa init`'s config, trained unless the kept one is current (about 45 minutes on
  two loaded cores); `quick` is the test suite's, every `epochs` 1; `none` leaves the
  baseline out, and with it the Relay / baseline comparison and its target;
- `scaled`: `make run-scaled`'s profile, two Rasa replicas behind nginx with PostgreSQL,
  Redis and one action server (bot/tools/bench/scaled.py), compared with `relay`
  ("scaled / embedded"). It needs Debian's postgresql, redis-server and nginx; `--no-scaled`
  leaves it out.

The stacks start one after the other (`--together`: at once, quicker, for the smoke
test: each one's ready time then includes the others'), and one customer says every
script to each (the warm-up, not counted). Then, level by level, `level` simulated
customers talk to one stack for `--seconds`, then to the next (bot/tools/bench/load.py);
the order rotates per level, so the machine's drift hits every stack. Every stack runs
throughout; only the one measured has customers. The servers' RSS is sampled meanwhile
(the scaled profile's per replica and summed), and the CPU time of the stack, of the
customers and of the whole machine is read before and after each level
(bot/tools/bench/cpu.py). Prints a line per level and stack; writes report.md,
metrics.json and latency.png to --out (results/bench) and the servers' logs, and
(unless --no-docs) the bench's section of docs/performance.md with the plot as
docs/bench_latency.png.

Exit status: 0 the bench ran (the targets are reported, pass or fail), 2 a stack
could not be trained or started, or a server of one stopped during the run.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import aiohttp

from bot.settings import ROOT
from bot.tools.bench import baseline as baselines
from bot.tools.bench import cpu
from bot.tools.bench.load import Channel, Plan, run_level, warm_up
from bot.tools.bench.memory import HWM, Peaks, in_mb, trees_kb
from bot.tools.bench.metrics import LevelFigures, level_figures, targets
from bot.tools.bench.report import (
    docs_section,
    markdown,
    plot,
    progress_line,
    update_docs,
    write_json,
)
from bot.tools.bench.scaled import ScaledBenchStack
from bot.tools.bench.scripts import pick
from bot.tools.bench.stacks import (
    BASELINE,
    RELAY,
    SCALED,
    STACKS,
    BaselineStack,
    BenchStack,
    RelayStack,
)
from bot.tools.scaled.servers import ServerMissing
from bot.tools.scaled.stack import require_servers
from bot.tools.soak.report import machine
from bot.tools.soak.stack import StackError

DEFAULT_LEVELS = (1, 10, 50, 100)
DEFAULT_SECONDS = 30.0
SAMPLE_SECONDS = 0.5
LOADAVG = Path("/proc/loadavg")
DOCS_PAGE = "performance.md"
DOCS_PLOT = "bench_latency.png"
MODELS = ROOT / "models"
BASELINE_MODELS = {
    "full": MODELS / "bench" / "baseline.tar.gz",
    "quick": MODELS / "bench" / "quick.tar.gz",
}
CONFIG_NAMES = {
    "full": "`rasa init`'s config.yml: Rasa's default pipeline and policies",
    "quick": "Rasa's default pipeline and policies with epochs 1 (the smoke test's)",
}
NO_BASELINE = "none"
# The embedded stacks' directories hold tokens and conversations: private. The scaled one's
# must let PostgreSQL (run as `postgres`) pass, so the directory above them lets others pass.
PRIVATE = 0o700
PASSABLE = 0o711


def levels(text: str) -> tuple[int, ...]:
    """`1,10,50` as (1, 10, 50).

    Raises:
        argparse.ArgumentTypeError: Not a comma-separated list of numbers of 1 or more.
    """
    try:
        found = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        found = ()
    if not found or min(found) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give levels like 1,10,50 (each 1 or more)")
    return found


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=levels, default=DEFAULT_LEVELS)
    parser.add_argument(
        "--seconds", type=float, default=DEFAULT_SECONDS, help="per level and stack"
    )
    parser.add_argument("--think", type=float, default=0.0, help="pause between messages")
    parser.add_argument("--scripts", type=int, help="only the first N scripts")
    parser.add_argument(
        "--baseline",
        choices=[*sorted(BASELINE_MODELS), NO_BASELINE],
        default="full",
        help="the plain Rasa bot's model (full: rasa init's config), or none to leave it out",
    )
    parser.add_argument(
        "--no-scaled",
        action="store_true",
        help="leave out the scaled profile (two replicas behind nginx, PostgreSQL, Redis)",
    )
    parser.add_argument("--baseline-model", type=Path, help="where the baseline is kept")
    parser.add_argument("--model", type=Path, default=MODELS / "relay.tar.gz")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "bench")
    parser.add_argument("--docs", type=Path, default=ROOT / "docs")
    parser.add_argument("--no-docs", action="store_true", help="leave docs/ untouched")
    parser.add_argument(
        "--together",
        action="store_true",
        help="start the stacks at once (quicker; each one's ready time then includes the others)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the stacks' data directories")
    options = parser.parse_args(argv)
    if options.seconds <= 0 or options.think < 0:
        parser.error("--seconds must be more than 0 and --think 0 or more")
    if options.scripts is not None and options.scripts < 1:
        parser.error("--scripts must be 1 or more")
    options.stacks = chosen(options)
    return options


def chosen(options: argparse.Namespace) -> tuple[str, ...]:
    """The stacks to run, in the order of the first level."""
    left_out = {BASELINE} if options.baseline == NO_BASELINE else set()
    if options.no_scaled:
        left_out.add(SCALED)
    return tuple(stack for stack in STACKS if stack not in left_out)


def rotated(stacks: tuple[str, ...], index: int) -> tuple[str, ...]:
    """The order of the `index`-th level: the first stack moves to the end each level."""
    shift = index % len(stacks)
    return stacks[shift:] + stacks[:shift]


def load_average() -> str:
    try:
        return LOADAVG.read_text(encoding="utf-8").split()[0]
    except (OSError, IndexError):
        return "n/a"


def channel(stack: BenchStack) -> Channel:
    return Channel(stack.url + "/webhooks/rest/webhook", stack.headers, stack.sender)


async def sample(stack: BenchStack, peaks: Peaks) -> None:
    while True:
        await asyncio.to_thread(peaks.sample, stack.roots())
        await asyncio.sleep(SAMPLE_SECONDS)


async def measure(session: aiohttp.ClientSession, stack: BenchStack, plan: Plan) -> LevelFigures:
    """One level on one stack, its RSS sampled meanwhile.

    Raises:
        StackError: A server of the stack stopped: what follows would measure less of it.
    """
    peaks = Peaks()
    roots = stack.roots()
    before = cpu.read(roots)
    sampler = asyncio.create_task(sample(stack, peaks))
    try:
        run = await run_level(session, channel(stack), plan)
    finally:
        sampler.cancel()
    used = cpu.used(before, cpu.read(roots))
    await asyncio.to_thread(peaks.sample, stack.roots())
    stopped = stack.exited()
    if stopped:
        raise StackError(
            f"{', '.join(stopped)} of {stack.name} stopped at level {plan.level} "
            f"(its logs are in {stack.data_dir})"
        )
    return level_figures(stack.name, plan.level, run, peaks.mb(), used)


async def start(stack: BenchStack) -> float:
    print(f"Starting {stack.name} in {stack.data_dir} ...", flush=True)
    ready = await stack.start()
    print(f"{stack.name} is ready after {ready:.1f} s on {stack.url}", flush=True)
    return ready


async def bench(
    options: argparse.Namespace, stacks: dict[str, BenchStack]
) -> tuple[list[LevelFigures], dict[str, dict[str, Any]]]:
    """Starts the stacks, warms them up and measures every level on each."""
    names = tuple(stacks)
    if options.together:
        ready = await asyncio.gather(*(start(stacks[name]) for name in names))
    else:
        ready = [await start(stacks[name]) for name in names]
    info: dict[str, dict[str, Any]] = {
        name: {"ready_seconds": round(seconds, 2)}
        for name, seconds in zip(names, ready, strict=True)
    }
    scripts = pick(options.scripts)
    run_id = secrets.token_hex(3)
    connector = aiohttp.TCPConnector(limit=max(options.levels) + 10)
    figures: list[LevelFigures] = []
    async with aiohttp.ClientSession(connector=connector) as session:
        for name in names:
            warm = await warm_up(
                session, channel(stacks[name]), Plan(1, options.seconds, scripts, run_id)
            )
            bad = sum(1 for turn in warm.turns if turn.error)
            print(
                f"{name} warmed up: {len(warm.turns)} turns in {warm.elapsed:.1f} s"
                + (f", {bad} errors" if bad else ""),
                flush=True,
            )
            info[name]["warm_up"] = {"turns": len(warm.turns), "errors": bad}
        for index, level in enumerate(options.levels):
            plan = Plan(level, options.seconds, scripts, run_id, options.think)
            for name in rotated(names, index):
                found = await measure(session, stacks[name], plan)
                figures.append(found)
                print(progress_line(found), flush=True)
    for name, stack in stacks.items():
        info[name]["hwm_mb"] = in_mb(trees_kb(stack.roots(), HWM))
        if isinstance(stack, ScaledBenchStack):
            info[name].update(replicas=stack.replicas, served=stack.served())
    return figures, info


def write_results(
    options: argparse.Namespace,
    argv: list[str],
    figures: list[LevelFigures],
    info: dict[str, dict[str, Any]],
    run: dict[str, Any],
) -> None:
    out: Path = options.out
    out.mkdir(parents=True, exist_ok=True)
    found = targets(
        figures,
        {name: info[name]["ready_seconds"] for name in info},
        {name: info[name]["hwm_mb"] for name in info if "hwm_mb" in info[name]},
        options.stacks,
    )
    host = machine()
    run = {**run, "machine": host.__dict__}
    write_json(out / "metrics.json", figures, found, run)
    plot(out / "latency.png", figures)
    (out / "report.md").write_text(markdown(figures, found, run, host), encoding="utf-8")
    if not options.no_docs:
        docs: Path = options.docs
        shutil.copy(out / "latency.png", docs / DOCS_PLOT)
        page = docs / DOCS_PAGE
        old = page.read_text(encoding="utf-8") if page.exists() else None
        section = docs_section(figures, found, run, host, DOCS_PLOT)
        page.write_text(update_docs(old, section), encoding="utf-8")
        print(f"Wrote {page} and {docs / DOCS_PLOT}")
    print("\nTargets:")
    for target in found:
        print(f"  {'pass' if target.passed else 'FAIL'}  {target.name}: {target.detail}")
    print(f"Wrote {out / 'report.md'}, {out / 'metrics.json'} and {out / 'latency.png'}")


def prepare_baseline(
    options: argparse.Namespace,
) -> tuple[baselines.Baseline | None, float | None]:
    """The baseline, trained unless the kept one is current (None for `--baseline none`),
    and the seconds its training took (None: not trained).

    Raises:
        baselines.TrainingError: rasa train failed.
    """
    if options.baseline == NO_BASELINE:
        return None, None
    model = options.baseline_model or BASELINE_MODELS[options.baseline]
    kept = baselines.full(model) if options.baseline == "full" else baselines.quick(model)
    if kept.is_current():
        print(f"Reusing the baseline {model} (its fingerprint is current)", flush=True)
        return kept, None
    print(
        f"Training the baseline into {model} ({CONFIG_NAMES[options.baseline]}); "
        "the full one takes 20-45 minutes on two cores",
        flush=True,
    )
    took = kept.train()
    print(f"Trained the baseline in {took:.0f} s", flush=True)
    return kept, took


def make_stacks(
    options: argparse.Namespace, data: Path, baseline: baselines.Baseline | None
) -> dict[str, BenchStack]:
    """The chosen stacks, each in a directory of its own under `data`."""
    data.chmod(PASSABLE)
    stacks: dict[str, BenchStack] = {}
    for name in options.stacks:
        folder = data / name
        if name == SCALED:
            stacks[name] = ScaledBenchStack(folder, options.model)
            continue
        folder.mkdir(mode=PRIVATE)
        if name == RELAY:
            stacks[name] = RelayStack(folder, options.model)
        elif baseline is not None:
            stacks[name] = BaselineStack(folder, baseline.model)
    return stacks


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    options = parse(args)
    if not options.model.exists():
        print(f"{options.model} is missing: run `make train` first", file=sys.stderr)
        return 2
    if SCALED in options.stacks:
        try:
            require_servers()  # before a baseline's training, not 45 minutes later
        except ServerMissing as error:
            print(f"{error}; or leave the scaled profile out: --no-scaled", file=sys.stderr)
            return 2
    began = time.monotonic()
    load_before = load_average()
    try:
        kept, trained = prepare_baseline(options)
    except baselines.TrainingError as error:
        print(f"The baseline could not be trained: {error}", file=sys.stderr)
        return 2
    data = Path(tempfile.mkdtemp(prefix="relay-bench-"))
    stacks = make_stacks(options, data, kept)
    try:
        figures, info = asyncio.run(bench(options, stacks))
    except StackError as error:
        print(f"A stack did not start or stopped: {error}", file=sys.stderr)
        return 2
    finally:
        for stack in stacks.values():
            stack.stop()
        copy_logs(stacks, options.out)
    info[RELAY]["model"] = shown(options.model)
    if kept is not None:
        info[BASELINE].update(
            model=shown(kept.model), config=CONFIG_NAMES[options.baseline], train_seconds=trained
        )
    if SCALED in info:
        info[SCALED]["model"] = shown(options.model)
    run = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M (UTC)"),
        "command": " ".join(["python -m bot.tools.bench", *args]),
        "levels": list(options.levels),
        "seconds": options.seconds,
        "think": options.think,
        "scripts": [script.name for script in pick(options.scripts)],
        "load_before": load_before,
        "load_after": load_average(),
        "ready_note": ", all starting at once" if options.together else ", one after the other",
        "stacks": info,
    }
    write_results(options, args, figures, info, run)
    if not options.keep:
        shutil.rmtree(data, ignore_errors=True)
    print(f"Bench finished in {time.monotonic() - began:.0f} s", flush=True)
    return 0


def shown(path: Path) -> str:
    """`path` as the report shows it: relative to the repository when it is inside it."""
    absolute = path.absolute()
    return str(absolute.relative_to(ROOT)) if absolute.is_relative_to(ROOT) else str(path)


def copy_logs(stacks: dict[str, BenchStack], out: Path) -> None:
    """Each server's log into `out` as `<stack>-<server>.log` (also when a stack failed)."""
    out.mkdir(parents=True, exist_ok=True)
    for name, stack in stacks.items():
        for server, log in stack.logs().items():
            if log.exists():
                shutil.copy(log, out / f"{name}-{server}.log")


if __name__ == "__main__":
    sys.exit(main())
