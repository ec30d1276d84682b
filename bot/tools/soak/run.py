"""`make soak`: a mixed load on loopback against the real stack, with faults during the run.

    python -m bot.tools.soak [--minutes 4] [--conversations 8] [--quick] [--no-docs]

Starts both servers with data of their own (bot/tools/soak/stack.py), then for the
given minutes runs REST customers and widget visitors (bot/tools/soak/customers.py),
an agent answering handoffs through the console API (bot/tools/soak/agent.py) and
the bad-input catalogue (bot/tools/soak/bad_client.py), while it kills and restarts
the action server and the Rasa server and locks the conversation database
(bot/tools/soak/faults.py). When the time is up, clients finish what they started
(the drain), the servers stop, and the stack's own data is checked
(bot/tools/soak/verify.py). Prints a line every few seconds and the figures at the
end; writes results/soak/soak.json and soak.png, and (unless --no-docs) docs/soak.png
and the `## Soak` section of docs/reliability.md. `--quick` is the CI version: about
75 s of load, the action server's kill and the database lock, no Rasa kill.

Exit status: 0 passed, 1 something was lost or went wrong (see the figures), 2 the
stack could not start.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Coroutine
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import aiohttp

from bot.settings import ROOT
from bot.tools.soak.agent import Agent
from bot.tools.soak.bad_client import bad_inputs
from bot.tools.soak.context import Load, Target
from bot.tools.soak.customers import rest_customers, widget_visitors
from bot.tools.soak.faults import SHORT_LABELS, FaultPlan, inject_all, measure, schedule
from bot.tools.soak.figures import Figures, buckets, build
from bot.tools.soak.journal import (
    ANSWERED,
    APOLOGY,
    EMPTY,
    RETRIED,
    THROTTLED,
    UNEXPECTED,
    Journal,
)
from bot.tools.soak.report import machine, plot, replace_section, section, summary, write_json
from bot.tools.soak.stack import AGENT_USERNAME, SERVERS, Stack, StackError
from bot.tools.soak.verify import (
    check_messages,
    check_replies,
    check_tickets,
    outbox,
    tickets,
    user_texts,
)

QUICK_SECONDS = 75.0
DEFAULT_MINUTES = 4.0
DRAIN_SECONDS = 180.0  # long enough for a Rasa restart near the end
PROGRESS_SECONDS = 5.0
KILLED = -9  # a process's return code after our SIGKILL


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--minutes", type=float, help=f"minutes of load (default {DEFAULT_MINUTES:g})"
    )
    parser.add_argument("--conversations", type=int, help="REST customers at a time (default 8)")
    parser.add_argument("--widgets", type=int, default=2, help="widget visitors at a time")
    parser.add_argument("--quick", action="store_true", help="the CI version (see above)")
    parser.add_argument("--no-docs", action="store_true", help="leave docs/ untouched")
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "relay.tar.gz")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "soak")
    parser.add_argument("--docs", type=Path, default=ROOT / "docs")
    parser.add_argument("--seed", type=int, default=20261124)
    parser.add_argument("--keep", action="store_true", help="keep the stack's data directory")
    options = parser.parse_args(argv)
    if options.minutes is not None and options.minutes <= 0:
        parser.error("--minutes must be more than 0")
    if options.conversations is not None and options.conversations < 1:
        parser.error("--conversations must be 1 or more")
    return options


def load_seconds(options: argparse.Namespace) -> float:
    if options.minutes is not None:
        return float(options.minutes) * 60
    return QUICK_SECONDS if options.quick else DEFAULT_MINUTES * 60


def conversations(options: argparse.Namespace) -> int:
    if options.conversations is not None:
        return int(options.conversations)
    return 6 if options.quick else 8


def progress_line(journal: Journal) -> str:
    """One line of progress: what the clients have done so far, and the fault on now."""
    now = journal.now()
    line = (
        f"[{now:5.0f}s] {len(journal.conversations)} conversations, "
        f"{len(journal.messages)} messages: {journal.count(ANSWERED)} answered, "
        f"{journal.count(APOLOGY)} apologies, {journal.count(RETRIED, THROTTLED)} retried, "
        f"{journal.count(EMPTY)} empty, {journal.count(UNEXPECTED)} unexpected | "
        f"{len(journal.handoffs)} handoffs, {len(journal.agent_replies)} agent replies | "
        f"{len(journal.errors)} errors"
    )
    on = [f for f in journal.faults if f.ready_after is None]
    if on:
        line += f" | FAULT: {on[-1].label}"
    elif journal.stopping:
        line += " | draining"
    return line


async def report_progress(journal: Journal, stack: Stack) -> None:
    """Prints progress, and notes a server that died other than by the soak's hand."""
    noted: set[int] = set()
    while True:
        await asyncio.sleep(PROGRESS_SECONDS)
        print(progress_line(journal), flush=True)
        for server in SERVERS:
            process = stack.processes.get(server)
            code = None if process is None else process.poll()
            if process is not None and code not in (None, KILLED) and process.pid not in noted:
                noted.add(process.pid)
                journal.error(f"the {server} server exited by itself (code {code})")


async def _guarded(journal: Journal, name: str, work: Coroutine[Any, Any, Any]) -> None:
    """Runs a client; an exception is a soak error (the client crashed), not a stop."""
    try:
        await work
    except asyncio.CancelledError:
        raise
    except Exception as error:  # every crash of a client is reported, never hidden
        journal.error(f"{name} crashed: {error!r}")


async def run_load(
    stack: Stack, options: argparse.Namespace, plans: tuple[FaultPlan, ...]
) -> tuple[Journal, float]:
    """Runs the clients and the faults; returns the journal and the load's length."""
    journal = Journal()
    seconds = load_seconds(options)
    target = Target(stack.url, stack.rest_token, AGENT_USERNAME, stack.agent_password)
    connector = aiohttp.TCPConnector(limit=200)
    async with aiohttp.ClientSession(connector=connector) as session:
        load = Load(
            target, session, journal, f"s{secrets.token_hex(3)}", rng=random.Random(options.seed)
        )
        clients = [
            *(rest_customers(load, i) for i in range(conversations(options))),
            *(widget_visitors(load, i) for i in range(options.widgets)),
            bad_inputs(load),
        ]
        tasks = [asyncio.create_task(_guarded(journal, "a client", c)) for c in clients]
        agent = Agent(load)
        agent_task = asyncio.create_task(_guarded(journal, "the agent", agent.run()))
        faults = asyncio.create_task(
            _guarded(journal, "a fault", inject_all(stack, journal, plans))
        )
        progress = asyncio.create_task(report_progress(journal, stack))
        try:
            await asyncio.sleep(seconds)
            await faults  # one still on (the Rasa server loading its model) ends first
            load.stop(DRAIN_SECONDS)
            print(
                f"[{journal.now():5.0f}s] load stopped; clients finish what they started",
                flush=True,
            )
            await asyncio.gather(*tasks)
            agent.finish()
            await agent_task
        finally:
            progress.cancel()
            for task in [*tasks, agent_task, faults]:
                task.cancel()
    return journal, seconds


def verify(stack: Stack, journal: Journal, seconds: float) -> Figures:
    """Measures recovery and checks the stack's data (its servers stopped)."""
    measure(journal.faults, journal.exchanges, journal.now())
    messages = check_messages(journal.messages, user_texts(stack.tracker_db))
    found = tickets(stack.shop_db)
    announced = {c: handoff.announced for c, handoff in journal.handoffs.items()}
    ticket_check = check_tickets(announced, found, journal.conversations)
    replies = check_replies(
        journal.agent_replies, journal.handoffs, journal.received, outbox(stack.shop_db)
    )
    return build(journal, seconds, messages, ticket_check, replies)


def command_line(argv: list[str]) -> str:
    return " ".join(["python -m bot.tools.soak", *argv])


def write_results(
    options: argparse.Namespace, argv: list[str], stack: Stack, journal: Journal, figures: Figures
) -> None:
    out: Path = options.out
    out.mkdir(parents=True, exist_ok=True)
    host = machine()
    date = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M (UTC)")
    write_json(
        out / "soak.json",
        figures,
        {
            "date": date,
            "command": command_line(argv),
            "machine": host.__dict__,
            "problems": figures.problems(),
        },
    )
    with (out / "exchanges.jsonl").open("w", encoding="utf-8") as handle:
        for exchange in journal.exchanges:
            handle.write(json.dumps(exchange.__dict__, ensure_ascii=False) + "\n")
    for server in SERVERS:
        if stack.log(server).exists():
            shutil.copy(stack.log(server), out / stack.log(server).name)
    series = buckets(journal.exchanges, journal.now())
    end = journal.now()
    spans = [
        (
            SHORT_LABELS.get(fault.kind, fault.kind),
            fault.started_at,
            fault.restored_at if fault.restored_at is not None else end,
            fault.recovered_at if fault.recovered_at is not None else end,
        )
        for fault in journal.faults
    ]
    plot(out / "soak.png", series, spans, figures.load_seconds)
    if not options.no_docs:
        docs: Path = options.docs
        shutil.copy(out / "soak.png", docs / "soak.png")
        reliability = docs / "reliability.md"
        text = (
            reliability.read_text(encoding="utf-8") if reliability.exists() else "# Reliability\n"
        )
        new = section(figures, host, date, command_line(argv))
        reliability.write_text(replace_section(text, new), encoding="utf-8")
    print(
        f"Wrote {out / 'soak.json'} and {out / 'soak.png'}"
        + ("" if options.no_docs else f", {options.docs / 'reliability.md'}")
    )


async def soak(options: argparse.Namespace, argv: list[str]) -> int:
    plans = schedule(load_seconds(options), quick=options.quick)
    data_dir = Path(tempfile.mkdtemp(prefix="relay-soak-"))
    stack = Stack(data_dir, options.model)
    print(
        f"Starting Relay in {data_dir} (the Rasa server loads its model: about a minute)",
        flush=True,
    )
    try:
        started = await stack.start()
    except StackError as error:
        print(f"Relay did not start: {error}", file=sys.stderr)
        return 2
    print(
        f"Relay is ready after {started:.0f} s on {stack.url}; load for "
        f"{load_seconds(options):.0f} s with {conversations(options)} REST customers, "
        f"{options.widgets} widget visitors, the agent and the bad-input stream; faults: "
        + ", ".join(f"{p.label} at {p.at:.0f} s" for p in plans),
        flush=True,
    )
    clean = False
    try:
        journal, seconds = await run_load(stack, options, plans)
    finally:
        stack.stop()
    try:
        figures = verify(stack, journal, seconds)
        print(summary(figures), flush=True)
        write_results(options, argv, stack, journal, figures)
        clean = not figures.problems()
    finally:
        if options.keep or not clean:
            print(f"The stack's data and logs are kept in {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
    return 0 if clean else 1


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    options = parse(args)
    started = time.monotonic()
    code = asyncio.run(soak(options, args))
    print(
        f"Soak finished in {time.monotonic() - started:.0f} s: "
        + ("passed" if code == 0 else "FAILED"),
        flush=True,
    )
    return code
