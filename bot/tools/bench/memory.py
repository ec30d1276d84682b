"""Memory of a server and the processes it started, from /proc.

`VmRSS` is what a process holds now, `VmHWM` the most it ever held (its high-water
mark). A server's figure is the sum over its process tree (the server and its
children, found by parent id), read each time, since a server may start helpers.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

PROC = Path("/proc")
RSS = "VmRSS"
HWM = "VmHWM"


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


def tree_kb(root: int, key: str = RSS, proc: Path = PROC) -> int:
    """The sum of `key` (RSS or HWM) over `root`'s process tree, in kB."""
    return sum(_kb(pid, key, proc) for pid in descendants(root, parents(proc)))


def _kb(pid: int, key: str, proc: Path) -> int:
    status = _read(proc / str(pid) / "status")
    return status_kb(status, key) if status else 0


class Peaks:
    """The highest RSS seen per server while sampling, in kB."""

    def __init__(self) -> None:
        self.kb: dict[str, int] = {}

    def sample(self, roots: Iterable[tuple[str, int]], proc: Path = PROC) -> None:
        for server, pid in roots:
            self.kb[server] = max(self.kb.get(server, 0), tree_kb(pid, RSS, proc))

    def mb(self) -> dict[str, float]:
        return {server: round(kb / 1024, 1) for server, kb in self.kb.items()}
