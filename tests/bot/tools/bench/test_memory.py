"""bot/tools/bench/memory.py: RSS and its high-water mark over a process tree, from /proc."""

from __future__ import annotations

import os
from pathlib import Path

from bot.tools.bench.memory import (
    HWM,
    RSS,
    Peaks,
    descendants,
    parent_of,
    parents,
    status_kb,
    tree_kb,
)

STATUS = "Name:\tpython\nVmPeak:\t  900 kB\nVmHWM:\t  800000 kB\nVmRSS:\t  700000 kB\n"


def fake_proc(root: Path, processes: dict[int, tuple[int, int, int]]) -> Path:
    """A /proc with `pid: (parent, rss kB, hwm kB)`, plus a non-process entry."""
    for pid, (parent, rss, hwm) in processes.items():
        folder = root / str(pid)
        folder.mkdir(parents=True)
        (folder / "stat").write_text(f"{pid} (rasa (x) y) S {parent} {pid} 0 0")
        (folder / "status").write_text(f"Name:\trasa\nVmHWM:\t{hwm} kB\nVmRSS:\t{rss} kB\n")
    (root / "meminfo").write_text("MemTotal: 1 kB\n")
    return root


def test_status_lines_in_kb() -> None:
    assert status_kb(STATUS, RSS) == 700000
    assert status_kb(STATUS, HWM) == 800000
    assert status_kb("Name:\tzombie\n", RSS) == 0
    assert status_kb("VmRSS:\n", RSS) == 0


def test_the_parent_comes_after_the_command_whatever_it_holds() -> None:
    assert parent_of("42 (python -m x) S 7 42 42 0") == 7
    assert parent_of("43 (a) b (c)) R 1 43 43 0") == 1


def test_descendants_walk_the_whole_tree() -> None:
    family = {10: 1, 11: 10, 12: 11, 13: 10, 20: 1}
    assert sorted(descendants(10, family)) == [10, 11, 12, 13]
    assert descendants(99, family) == [99]


def test_a_trees_memory_is_the_sum_of_its_processes(tmp_path: Path) -> None:
    proc = fake_proc(tmp_path, {10: (1, 1000, 2000), 11: (10, 300, 400), 20: (1, 5000, 5000)})
    assert parents(proc) == {10: 1, 11: 10, 20: 1}
    assert tree_kb(10, RSS, proc) == 1300
    assert tree_kb(10, HWM, proc) == 2400
    assert tree_kb(77, RSS, proc) == 0  # gone


def test_peaks_keep_the_highest_sample(tmp_path: Path) -> None:
    proc = fake_proc(tmp_path, {10: (1, 2048, 0), 20: (1, 1024, 0)})
    peaks = Peaks()
    peaks.sample([("rasa", 10), ("actions", 20)], proc)
    (proc / "10" / "status").write_text("VmRSS:\t1024 kB\n")
    peaks.sample([("rasa", 10), ("actions", 20)], proc)
    assert peaks.mb() == {"rasa": 2.0, "actions": 1.0}


def test_this_process_has_memory() -> None:
    assert tree_kb(os.getpid(), RSS) > 1000
    assert tree_kb(os.getpid(), HWM) >= tree_kb(os.getpid(), RSS) // 2
