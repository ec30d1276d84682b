"""How many calls Relay's action server answers at once: `make bench-actions`.

    python -m bot.tools.action_concurrency [--workers 1,2] [--levels 1,10,50]
        [--seconds 15] [--out results/actions]

Rasa calls the action server once for each custom action of a turn: a POST carrying
the whole conversation so far and the domain. rasa-sdk runs the actions of one Sanic
worker on one event loop, and Relay's actions read the shop's database without
leaving it, so a worker runs one action at a time; the question is what that costs
when many conversations are busy at once, and whether more workers help.

For each --workers count in turn, this starts Relay's action server (as `make run`
does, on a demo shop in SQLite under a temporary directory) and lets `level` callers
post, each as soon as its previous call was answered, calls in exactly Rasa 3.6's
format (rasa's own `RemoteAction` builds them from domain.yml and a five-turn
conversation): store hours, the stores, delivery, payment and an order's status
(the last reads the database). Prints a line per workers count and level; writes
report.md, metrics.json and actions.png to --out.

Exit status: 0 measured, 2 the action server did not start.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bot.settings import ROOT
from bot.tools.services import Ports, action_server_command, environment
from bot.tools.soak.report import machine
from bot.tools.soak.stack import free_port

DEFAULT_WORKERS = (1, 2)
DEFAULT_LEVELS = (1, 10, 50)
DEFAULT_SECONDS = 15.0
START_SECONDS = 60.0
CALL_SECONDS = 30.0
# The actions called, with the intent and slots of the turn that leads to each.
CALLS: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("action_opening_hours", "opening_hours", {}),
    ("action_store_location", "store_location", {}),
    ("action_shipping_info", "shipping_info", {}),
    ("action_payment_methods", "payment_methods", {}),
    ("action_check_order_status", "order_status", {"order_id": "100260"}),
)


@dataclass(frozen=True)
class Figures:
    """One workers count at one level."""

    workers: int
    level: int
    calls: int
    errors: int
    seconds: float
    calls_per_second: float
    p50: float
    p95: float


def action_calls(sender: str) -> list[dict[str, Any]]:
    """One request body per action of CALLS, as Rasa 3.6 sends them (the whole domain and
    a conversation that asked each question in turn)."""
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.load(str(ROOT / "domain.yml"))
    events: list[Any] = [ActionExecuted("action_session_start"), SessionStarted()]
    bodies = []
    for action, intent, slots in CALLS:
        events.append(ActionExecuted("action_listen"))
        events.append(UserUttered(f"a question about {intent}", {"name": intent, "confidence": 1}))
        events.extend(SlotSet(name, value) for name, value in slots.items())
        tracker = DialogueStateTracker.from_events(sender, events, domain.slots)
        bodies.append(RemoteAction(action, None)._action_call_format(tracker, domain))
        events.append(ActionExecuted(action))
    return bodies


def percentile(values: list[float], share: float) -> float:
    """The `share` (0-1) percentile of `values`, nearest rank; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


async def _caller(
    session: aiohttp.ClientSession,
    url: str,
    bodies: list[dict[str, Any]],
    until: float,
    times: list[float],
    errors: list[str],
) -> None:
    number = 0
    while time.monotonic() < until:
        body = bodies[number % len(bodies)]
        number += 1
        started = time.monotonic()
        try:
            async with session.post(url, json=body) as reply:
                answer = await reply.json()
                if reply.status != 200 or not answer.get("responses"):
                    errors.append(f"{body['next_action']}: {reply.status}")
                    continue
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            errors.append(f"{body['next_action']}: {type(error).__name__}")
            continue
        times.append(time.monotonic() - started)


async def measure(
    url: str, token: str, bodies: list[dict[str, Any]], workers: int, level: int, seconds: float
) -> Figures:
    """`level` callers for `seconds`, each calling again as soon as it was answered."""
    times: list[float] = []
    errors: list[str] = []
    headers = {"Authorization": f"Bearer {token}"}
    timeout = aiohttp.ClientTimeout(total=CALL_SECONDS)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(headers=headers, timeout=timeout, connector=connector) as s:
        started = time.monotonic()
        until = started + seconds
        await asyncio.gather(*(_caller(s, url, bodies, until, times, errors) for _ in range(level)))
        took = time.monotonic() - started
    return Figures(
        workers=workers,
        level=level,
        calls=len(times),
        errors=len(errors),
        seconds=round(took, 2),
        calls_per_second=round(len(times) / took, 2),
        p50=round(percentile(times, 0.5), 4),
        p95=round(percentile(times, 0.95), 4),
    )


def _ready(url: str, process: subprocess.Popen[bytes], seconds: float) -> None:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the action server exited ({process.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    raise RuntimeError(f"the action server was not ready within {seconds:g} s")


def run_workers(
    workers: int, levels: list[int], seconds: float, data_dir: Path, log: Path
) -> list[Figures]:
    """Starts the action server with `workers` workers and measures each level."""
    ports = Ports(rasa=free_port(), actions=free_port())
    env = environment(data_dir, ports, {"RELAY_ACTION_WORKERS": str(workers)})
    with log.open("wb") as output:
        process = subprocess.Popen(
            action_server_command(ports), cwd=ROOT, env=env, stdout=output, stderr=output
        )
    try:
        _ready(f"http://127.0.0.1:{ports.actions}/ready", process, START_SECONDS)
        url = f"http://127.0.0.1:{ports.actions}/webhook"
        token = env["RELAY_ACTION_TOKEN"]
        bodies = action_calls("bench-actions")
        asyncio.run(measure(url, token, bodies, workers, 1, min(2.0, seconds)))  # warm-up
        figures = []
        for level in levels:
            found = asyncio.run(measure(url, token, bodies, workers, level, seconds))
            print(
                f"workers {workers}, {level:>3} callers: {found.calls_per_second:7.1f} calls/s, "
                f"p50 {found.p50:.3f} s, p95 {found.p95:.3f} s, {found.errors} errors",
                flush=True,
            )
            figures.append(found)
        return figures
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def markdown(figures: list[Figures], command: str, load: tuple[float, float]) -> str:
    """The report: the machine, then a row per workers count and level, and the ratios."""
    host = machine()
    lines = [
        "# Relay's action server under concurrent calls",
        "",
        f"- Command: `{command}`",
        f"- Machine: {host.cpu}, {host.cores} cores, {host.ram_gb:.1f} GB RAM, "
        f"Python {host.python}, {host.system}",
        f"- Load average (1 min) before / after: {load[0]:.2f} / {load[1]:.2f}",
        f"- Calls: {', '.join(action for action, _, _ in CALLS)}, in Rasa 3.6's format",
        "",
        "| Workers | Callers | Calls | Calls/s | p50 (s) | p95 (s) | Errors |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for f in figures:
        lines.append(
            f"| {f.workers} | {f.level} | {f.calls} | {f.calls_per_second:.1f} | "
            f"{f.p50:.3f} | {f.p95:.3f} | {f.errors} |"
        )
    one = {f.level: f for f in figures if f.workers == min(x.workers for x in figures)}
    others = [f for f in figures if f.workers != min(x.workers for x in figures)]
    if others and one:
        lines += ["", "| Workers | Callers | Calls/s vs fewest workers | p95 vs fewest workers |"]
        lines.append("| ---: | ---: | ---: | ---: |")
        for f in others:
            base = one.get(f.level)
            if base and base.calls_per_second and base.p95:
                lines.append(
                    f"| {f.workers} | {f.level} | {f.calls_per_second / base.calls_per_second:.2f}x"
                    f" | {f.p95 / base.p95:.2f}x |"
                )
    return "\n".join(lines) + "\n"


def plot(figures: list[Figures], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (rate, latency) = plt.subplots(1, 2, figsize=(10, 4))
    for workers in sorted({f.workers for f in figures}):
        mine = [f for f in figures if f.workers == workers]
        levels = [f.level for f in mine]
        rate.plot(
            levels, [f.calls_per_second for f in mine], marker="o", label=f"{workers} worker(s)"
        )
        latency.plot(levels, [f.p95 for f in mine], marker="o", label=f"{workers} worker(s)")
    rate.set(xlabel="callers at once", ylabel="calls answered per second", title="Throughput")
    latency.set(xlabel="callers at once", ylabel="p95 latency (s)", title="Latency")
    for axes in (rate, latency):
        axes.set_xscale("log")
        axes.grid(alpha=0.3)
        axes.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _numbers(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        values = []
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError("a comma-separated list of whole numbers >= 1")
    return values


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=_numbers, default=list(DEFAULT_WORKERS))
    parser.add_argument("--levels", type=_numbers, default=list(DEFAULT_LEVELS))
    parser.add_argument("--seconds", type=float, default=DEFAULT_SECONDS)
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "actions")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    before = os.getloadavg()[0]
    figures: list[Figures] = []
    with tempfile.TemporaryDirectory(prefix="relay-actions-") as folder:
        for workers in args.workers:
            data_dir = Path(folder) / f"workers-{workers}"
            data_dir.mkdir()
            log = args.out / f"actions-{workers}.log"
            try:
                figures += run_workers(workers, args.levels, args.seconds, data_dir, log)
            except RuntimeError as error:
                print(f"{error}: see {log}", file=sys.stderr)
                return 2
    command = "python -m bot.tools.action_concurrency " + " ".join(argv or sys.argv[1:])
    report = markdown(figures, command.strip(), (before, os.getloadavg()[0]))
    (args.out / "report.md").write_text(report, encoding="utf-8")
    (args.out / "metrics.json").write_text(
        json.dumps([asdict(f) for f in figures], indent=2), encoding="utf-8"
    )
    plot(figures, args.out / "actions.png")
    print(f"report: {args.out / 'report.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
