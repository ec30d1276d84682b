"""bot/tools/bench/memory.py: RSS and its high-water mark over a process tree, from /proc."""

from __future__ import annotations

import os
from pathlib import Path

from bot.tools.bench.memory import (
    HWM,
    RSS,
    Peaks,
    descendants,
    in_mb,
    largest_replica,
    parent_of,
    parents,
    status_kb,
    tree_kb,
    trees_kb,
    with_totals,
)
from tests.support.bench import fake_proc

STATUS = "Name:\tpython\nVmPeak:\t  900 kB\nVmHWM:\t  800000 kB\nVmRSS:\t  700000 kB\n"


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


def test_replicas_are_summed_as_their_server() -> None:
    assert with_totals({"rasa-1": 1000, "rasa-2": 1200, "actions": 60}) == {
        "rasa-1": 1000,
        "rasa-2": 1200,
        "actions": 60,
        "rasa": 2200,
    }
    assert with_totals({"rasa": 900, "actions": 60}) == {"rasa": 900, "actions": 60}
    assert with_totals({"rasa-x": 5}) == {"rasa-x": 5}  # not a replica's name


def test_the_largest_replica_or_the_one_process() -> None:
    assert largest_replica({"rasa-1": 1000.0, "rasa-2": 1200.0, "rasa": 2200.0}) == 1200.0
    assert largest_replica({"rasa": 900.0, "actions": 60.0}) == 900.0
    assert largest_replica({"actions-1": 60.0, "actions-2": 70.0}, "actions") == 70.0
    assert largest_replica({"actions": 60.0}) is None


def test_trees_of_several_servers_with_the_replicas_total(tmp_path: Path) -> None:
    proc = fake_proc(
        tmp_path, {10: (1, 1000, 1500), 11: (10, 24, 24), 20: (1, 2000, 2048), 30: (1, 60, 70)}
    )
    roots = [("rasa-1", 10), ("rasa-2", 20), ("actions", 30)]
    assert trees_kb(roots, RSS, proc) == {
        "rasa-1": 1024,
        "rasa-2": 2000,
        "actions": 60,
        "rasa": 3024,
    }
    assert trees_kb(roots, HWM, proc)["rasa"] == 1524 + 2048
    assert in_mb({"rasa": 3072, "actions": 60}) == {"rasa": 3.0, "actions": 0.1}


def test_the_replicas_peak_is_the_highest_sum_of_one_sample(tmp_path: Path) -> None:
    proc = fake_proc(tmp_path, {10: (1, 3072, 0), 20: (1, 1024, 0)})
    roots = [("rasa-1", 10), ("rasa-2", 20)]
    peaks = Peaks()
    peaks.sample(roots, proc)  # 3 + 1 MB
    (proc / "10" / "status").write_text("VmRSS:\t1024 kB\n")
    (proc / "20" / "status").write_text("VmRSS:\t2048 kB\n")
    peaks.sample(roots, proc)  # 1 + 2 MB
    # Each replica's own peak, and the most they held at once (not 3 + 2).
    assert peaks.mb() == {"rasa-1": 3.0, "rasa-2": 2.0, "rasa": 4.0}


def test_this_process_has_memory() -> None:
    assert tree_kb(os.getpid(), RSS) > 1000
    assert tree_kb(os.getpid(), HWM) >= tree_kb(os.getpid(), RSS) // 2
