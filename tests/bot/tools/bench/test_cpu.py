"""bot/tools/bench/cpu.py: CPU seconds of process trees, of this process and of the machine."""

from __future__ import annotations

import os
import time
from pathlib import Path

from bot.tools.bench.cpu import (
    CUSTOMERS,
    MACHINE,
    STACK,
    TICKS,
    Reading,
    machine_ticks,
    process_ticks,
    read,
    used,
)
from tests.support.bench import fake_proc


def test_a_processes_ticks_are_user_and_system_after_its_command() -> None:
    stat = "42 (python -m a) b) R 7 42 42 0 -1 4194304 10 0 0 0 250 40 3 1 20 0 9 0"
    assert process_ticks(stat) == 290  # not the children's 3 + 1


def test_the_machines_busy_ticks_leave_out_idle_iowait_and_steal() -> None:
    # user nice system idle iowait irq softirq steal guest guest_nice
    assert machine_ticks("cpu  100 2 50 9000 30 4 6 70 0 0\ncpu0 1 1 1 1\n") == 162
    assert machine_ticks("cpu  100 2 50\n") == 152  # an old kernel's shorter line


def test_a_reading_sums_each_tree_and_counts_the_replicas_as_their_server(
    tmp_path: Path,
) -> None:
    proc = fake_proc(
        tmp_path,
        {10: (1, 0, 0), 11: (10, 0, 0), 20: (1, 0, 0), 30: (1, 0, 0), 99: (1, 0, 0)},
        ticks={10: (100, 20), 11: (30, 0), 20: (200, 0), 30: (5, 5), 99: (40, 10)},
        machine=(1000, 0, 500, 100, 0, 0, 0, 0),
    )
    found = read([("rasa-1", 10), ("rasa-2", 20), ("actions", 30)], proc, own=99)
    assert found.servers == {
        "rasa-1": 150 / TICKS,
        "rasa-2": 200 / TICKS,
        "actions": 10 / TICKS,
        "rasa": 350 / TICKS,
    }
    assert (found.customers, found.machine) == (50 / TICKS, 1500 / TICKS)
    assert read([("rasa", 77)], proc, own=88).servers == {"rasa": 0.0}  # both gone


def test_what_was_used_between_two_readings() -> None:
    before = Reading({"rasa-1": 10.0, "rasa-2": 20.0, "rasa": 30.0, "actions": 1.0}, 5.0, 100.0)
    after = Reading(
        {"rasa-1": 25.0, "rasa-2": 30.0, "rasa": 55.0, "actions": 1.5, "nginx": 1.0}, 8.0, 158.0
    )
    assert used(before, after) == {
        "rasa-1": 15.0,
        "rasa-2": 10.0,
        "rasa": 25.0,
        "actions": 0.5,
        STACK: 25.5,  # the replicas once, not again as their total; nginx started in between
        CUSTOMERS: 3.0,
        MACHINE: 58.0,
    }
    one = used(Reading({"rasa": 1.0}, 0.0, 0.0), Reading({"rasa": 3.0}, 0.0, 2.0))
    assert one[STACK] == 2.0 and one["rasa"] == 2.0  # one process: `rasa` is itself


def test_this_process_and_the_machine_are_read_from_proc() -> None:
    before = read([("self", os.getpid())])
    deadline = time.process_time() + 0.3
    while time.process_time() < deadline:
        pass
    spent = used(before, read([("self", os.getpid())]))
    assert spent["self"] >= 0.2 and spent[CUSTOMERS] >= 0.2
    assert spent[MACHINE] >= spent[CUSTOMERS] - 0.05  # the machine was busy at least as long
