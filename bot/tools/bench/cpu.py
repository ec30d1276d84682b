"""CPU time over a level: each server's, the simulated customers', and the machine's.

A server's CPU seconds are the user and system time of its process tree
(/proc/<pid>/stat, as memory.py finds the tree), replicas summed as their server
(`rasa-1` + `rasa-2` as `rasa`). The customers are this process (the load generator).
The machine's busy seconds are /proc/stat's user, nice, system, irq and softirq time
over every core (not idle, iowait or steal). Over a level, the differences say how many
cores the measured stack used, how many the customers, and how many everything else on
the machine: the idle stacks, and other work that shares it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.tools.bench.memory import PROC, descendants, parents, replicated, with_totals

TICKS = os.sysconf("SC_CLK_TCK")
# In /proc/stat's `cpu` line: user nice system idle iowait irq softirq steal ...
BUSY_FIELDS = (0, 1, 2, 5, 6)
STACK = "stack"  # the measured stack's processes, all of them
CUSTOMERS = "customers"  # the load generator (this process)
MACHINE = "machine"  # every core's busy time


def process_ticks(stat: str) -> int:
    """utime + stime in /proc/<pid>/stat's text, in clock ticks."""
    fields = stat[stat.rindex(")") + 2 :].split()  # fields from the state (3rd) on
    return int(fields[11]) + int(fields[12])


def machine_ticks(stat: str) -> int:
    """The busy ticks of every core in /proc/stat's text (its first, `cpu` line)."""
    values = stat.splitlines()[0].split()[1:]
    return sum(int(values[index]) for index in BUSY_FIELDS if index < len(values))


def _ticks(pid: int, proc: Path) -> int:
    try:
        return process_ticks((proc / str(pid) / "stat").read_text(encoding="utf-8"))
    except (OSError, ValueError, IndexError):  # gone, or not a process's stat
        return 0


@dataclass(frozen=True)
class Reading:
    """CPU seconds so far: per server (with replicas' totals), the customers', the machine's."""

    servers: dict[str, float]
    customers: float
    machine: float


def read(roots: Iterable[tuple[str, int]], proc: Path = PROC, own: int | None = None) -> Reading:
    """CPU seconds so far of `roots` (server, pid) and their trees, of `own` (this process
    by default: the customers) and of the machine."""
    family = parents(proc)
    servers = {
        server: sum(_ticks(child, proc) for child in descendants(pid, family))
        for server, pid in roots
    }
    try:
        machine = machine_ticks((proc / "stat").read_text(encoding="utf-8"))
    except OSError:
        machine = 0
    customers = _ticks(os.getpid() if own is None else own, proc)
    return Reading(
        {server: ticks / TICKS for server, ticks in with_totals(servers).items()},
        customers / TICKS,
        machine / TICKS,
    )


def used(before: Reading, after: Reading) -> dict[str, float]:
    """CPU seconds between two readings: per server (those in both), and the `stack`'s
    total (its servers, replicas counted once), the `customers`' and the `machine`'s."""
    servers = {
        server: round(max(0.0, after.servers[server] - before.servers[server]), 2)
        for server in after.servers
        if server in before.servers
    }
    totals = replicated(servers)
    return {
        **servers,
        STACK: round(sum(v for server, v in servers.items() if server not in totals), 2),
        CUSTOMERS: round(max(0.0, after.customers - before.customers), 2),
        MACHINE: round(max(0.0, after.machine - before.machine), 2),
    }
