"""Memory of a server and the processes it started, from /proc.

`VmRSS` is what a process holds now, `VmHWM` the most it ever held (its high-water
mark). A server's figure is the sum over its process tree (the server and its
children, found by parent id), read each time, since a server may start helpers.

Replicas of one server are named `<server>-<n>` (`rasa-1`, `rasa-2`): their sum is
counted as `<server>` too (`with_totals`), so a stack of several Rasa processes has
both its total and each process's figure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

PROC = Path("/proc")
RSS = "VmRSS"
HWM = "VmHWM"
REPLICA = re.compile(r"(?P<server>.+)-(?P<number>[0-9]+)")


def status_kb(status: str, key: str) -> int:
    """The `key` line of /proc/<pid>/status's text in kB (0 when absent, as for a zombie)."""
    for line in status.splitlines():
        name, _, value = line.partition(":")
        if name == key:
            parts = value.split()
            return int(parts[0]) if parts and parts[0].isdigit() else 0
    return 0


def parent_of(stat: str) -> int:
    """The parent pid in /proc/<pid>/stat's text (the command may hold spaces and parens)."""
    return int(stat[stat.rindex(")") + 2 :].split()[1])


def descendants(root: int, parents: dict[int, int]) -> list[int]:
    """`root` and every process below it, given each pid's parent."""
    children: dict[int, list[int]] = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:  # the process is gone
        return None


def parents(proc: Path = PROC) -> dict[int, int]:
    """Every running pid's parent."""
    found = {}
    for entry in proc.iterdir():
        if entry.name.isdigit():
            stat = _read(entry / "stat")
            if stat:
                found[int(entry.name)] = parent_of(stat)
    return found


def tree_kb(
    root: int, key: str = RSS, proc: Path = PROC, family: dict[int, int] | None = None
) -> int:
    """The sum of `key` (RSS or HWM) over `root`'s process tree, in kB (`family`: every
    pid's parent, when read already)."""
    found = parents(proc) if family is None else family
    return sum(_kb(pid, key, proc) for pid in descendants(root, found))


def with_totals(kb: Mapping[str, int]) -> dict[str, int]:
    """`kb` per server, plus `<server>`: the sum over its replicas `<server>-<n>`."""
    found = dict(kb)
    totals: dict[str, int] = {}
    for name, value in kb.items():
        match = REPLICA.fullmatch(name)
        if match:
            totals[match["server"]] = totals.get(match["server"], 0) + value
    found.update(totals)
    return found


def replicated(names: Iterable[str]) -> set[str]:
    """The servers among `names` that have replicas (`rasa` for `rasa-1`, `rasa-2`)."""
    return {match["server"] for name in names if (match := REPLICA.fullmatch(name))}


def largest_replica(figures: Mapping[str, float], server: str = "rasa") -> float | None:
    """The largest figure of one `server` process: its biggest replica's, or its own when
    it has no replicas (None when neither was measured)."""
    replicas = [
        value
        for name, value in figures.items()
        if (match := REPLICA.fullmatch(name)) and match["server"] == server
    ]
    return max(replicas) if replicas else figures.get(server)


def trees_kb(roots: Iterable[tuple[str, int]], key: str = RSS, proc: Path = PROC) -> dict[str, int]:
    """`key` per server (its process tree), with the totals over replicas, in kB."""
    family = parents(proc)
    return with_totals({server: tree_kb(pid, key, proc, family) for server, pid in roots})


def _kb(pid: int, key: str, proc: Path) -> int:
    status = _read(proc / str(pid) / "status")
    return status_kb(status, key) if status else 0


class Peaks:
    """The highest RSS seen per server while sampling, in kB (a replicas' total is the
    highest sum of one sample, not the sum of each one's highest)."""

    def __init__(self) -> None:
        self.kb: dict[str, int] = {}

    def sample(self, roots: Iterable[tuple[str, int]], proc: Path = PROC) -> None:
        for server, kb in trees_kb(roots, RSS, proc).items():
            self.kb[server] = max(self.kb.get(server, 0), kb)

    def mb(self) -> dict[str, float]:
        return in_mb(self.kb)


def in_mb(kb: Mapping[str, int]) -> dict[str, float]:
    """Figures in kB per server as MB, to one decimal."""
    return {server: round(value / 1024, 1) for server, value in kb.items()}
