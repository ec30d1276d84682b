"""The faults a soak injects, when, and how long Relay takes to recover from each.

- ACTION_SERVER: kill -9 the action server, leave it down a few seconds, start it
  again. Meanwhile the bot apologises (utter_action_server_down) instead of acting.
- DATABASE: lock the conversation database (SQLite `BEGIN EXCLUSIVE` from another
  connection) for a while: customers get 503 and send their message again.
- RASA_SERVER: kill -9 the Rasa server and start it again: nothing answers until
  it has loaded its model (about a minute on two cores).

Recovery is measured from the restart (or the unlock) until the first normal answer
(neither an apology, nor a 503, nor no answer) to a message sent after the last
failure up to a few seconds after the server was ready again, so a lucky answer in
the middle of failures (one that needed no action, say) doesn't count as recovered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass

from bot.tools.soak.journal import (
    AGENT,
    ANSWERED,
    APOLOGY,
    QUIET,
    RETRIED,
    THROTTLED,
    Exchange,
    FaultRecord,
    Journal,
)
from bot.tools.soak.stack import ACTIONS, RASA, Stack

ACTION_SERVER, DATABASE, RASA_SERVER = "action_server", "database", "rasa_server"
LABELS = {
    ACTION_SERVER: "action server killed (kill -9) and restarted",
    DATABASE: "conversation database locked",
    RASA_SERVER: "Rasa server killed (kill -9) and restarted",
}
SHORT_LABELS = {
    ACTION_SERVER: "action server kill -9",
    DATABASE: "database locked",
    RASA_SERVER: "Rasa server kill -9",
}
ACTION_DOWN_SECONDS = 8.0
LOCK_SECONDS = 10.0
NORMAL = frozenset({ANSWERED, QUIET})
FAILED = frozenset({APOLOGY, RETRIED, THROTTLED})
GRACE_SECONDS = 5.0  # after recovery, late failures of requests sent during the fault


@dataclass(frozen=True)
class FaultPlan:
    """A fault to inject `at` seconds into the load, held for `hold` seconds."""

    kind: str
    at: float
    hold: float

    @property
    def label(self) -> str:
        return LABELS[self.kind]


def schedule(seconds: float, quick: bool = False) -> tuple[FaultPlan, ...]:
    """The faults of a load of `seconds`: the action server, then the database, then
    (unless `quick`, the CI version) the Rasa server, late enough to leave a normal
    stretch between them."""
    if quick:
        return (
            FaultPlan(ACTION_SERVER, round(0.2 * seconds, 1), ACTION_DOWN_SECONDS),
            FaultPlan(DATABASE, round(0.55 * seconds, 1), LOCK_SECONDS),
        )
    return (
        FaultPlan(ACTION_SERVER, round(0.15 * seconds, 1), ACTION_DOWN_SECONDS),
        FaultPlan(DATABASE, round(0.35 * seconds, 1), LOCK_SECONDS),
        FaultPlan(RASA_SERVER, round(0.5 * seconds, 1), 0.0),
    )


async def inject(stack: Stack, journal: Journal, plan: FaultPlan) -> FaultRecord:
    """Waits until `plan.at`, injects the fault, undoes it and waits until the server is ready."""
    await asyncio.sleep(max(0.0, plan.at - journal.now()))
    if plan.kind == DATABASE:
        async with stack.tracker_db_locked():
            record = FaultRecord(plan.kind, plan.label, journal.now())
            journal.faults.append(record)
            await asyncio.sleep(plan.hold)
        record.restored_at = journal.now()
        record.ready_after = await stack.wait_ready(RASA)
        return record
    server = ACTIONS if plan.kind == ACTION_SERVER else RASA
    record = FaultRecord(plan.kind, plan.label, journal.now())
    journal.faults.append(record)
    await asyncio.to_thread(stack.kill, server)
    await asyncio.sleep(plan.hold)
    stack.spawn(server)
    record.restored_at = journal.now()
    record.ready_after = await stack.wait_ready(server)
    return record


async def inject_all(stack: Stack, journal: Journal, plans: Iterable[FaultPlan]) -> None:
    """Injects the faults one after the other, each at its time."""
    for plan in plans:
        await inject(stack, journal, plan)


def _customers(exchanges: Iterable[Exchange]) -> list[Exchange]:
    return [e for e in exchanges if e.client != AGENT]


def recovered_at(fault: FaultRecord, exchanges: Iterable[Exchange], until: float) -> float | None:
    """When the first normal answer came after `fault` (see the module docstring).

    Args:
        fault: The fault, with the time it was undone.
        exchanges: Every client exchange of the run.
        until: The end of this fault's time (the next fault's start, or the run's end).
    """
    if fault.restored_at is None:
        return None
    ready_at = fault.restored_at + (fault.ready_after or 0.0) + GRACE_SECONDS
    during = [e for e in _customers(exchanges) if fault.started_at <= e.done_at < until]
    last_failure = max(
        (e.done_at for e in during if e.outcome in FAILED and e.done_at <= ready_at), default=0.0
    )
    since = max(fault.restored_at, last_failure)
    normal = [e.done_at for e in during if e.outcome in NORMAL and e.sent_at >= since]
    return min(normal, default=None)


def measure(faults: list[FaultRecord], exchanges: list[Exchange], end: float) -> None:
    """Sets each fault's `recovered_at` (the faults in the order they happened)."""
    ordered = sorted(faults, key=lambda f: f.started_at)
    for index, fault in enumerate(ordered):
        until = ordered[index + 1].started_at if index + 1 < len(ordered) else end
        fault.recovered_at = recovered_at(fault, exchanges, until)


def windows(faults: Iterable[FaultRecord], end: float) -> list[tuple[float, float]]:
    """The stretches of time a fault explains failures in: from the fault until its
    recovery (plus GRACE_SECONDS), or until `end` when it never recovered."""
    spans = []
    for fault in faults:
        stop = end if fault.recovered_at is None else fault.recovered_at + GRACE_SECONDS
        spans.append((fault.started_at, stop))
    return spans


def outside(exchange: Exchange, spans: list[tuple[float, float]]) -> bool:
    """Whether `exchange` ended outside every fault's window."""
    return not any(start <= exchange.done_at <= stop for start, stop in spans)
