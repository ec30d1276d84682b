"""Stand-ins for tests of bot/tools/bench/: turns and level runs built by hand, and a /proc."""

from __future__ import annotations

from pathlib import Path

from bot.tools.bench.load import LevelRun, Turn
from bot.tools.bench.metrics import LevelFigures, level_figures


def turn(
    seconds: float = 0.2,
    status: int | None = 200,
    messages: int = 1,
    failure: str | None = None,
    script: str = "order status",
    step: int = 0,
) -> Turn:
    return Turn(script, step, 0.0, seconds, status, messages, failure)


def run_of(*latencies: float, elapsed: float = 10.0) -> LevelRun:
    """A level whose turns were all answered with a message, in `latencies` seconds."""
    return LevelRun(tuple(turn(seconds) for seconds in latencies), elapsed)


def figures_of(
    stack: str, level: int, p: float, rasa_mb: float = 1000.0, elapsed: float = 10.0
) -> LevelFigures:
    """A stack's figures at `level`: 3 turns in `elapsed` seconds, every latency `p`."""
    return level_figures(
        stack, level, run_of(p, p, p, elapsed=elapsed), {"rasa": rasa_mb, "actions": 60.0}
    )


def replicas_of(
    level: int, p: float, replicas_mb: tuple[float, ...] = (1000.0, 1100.0), elapsed: float = 10.0
) -> LevelFigures:
    """The scaled profile's figures at `level`, with each replica's RSS and their sum."""
    rss = {f"rasa-{number}": mb for number, mb in enumerate(replicas_mb, start=1)}
    rss.update(rasa=sum(replicas_mb), actions=60.0)
    return level_figures("scaled", level, run_of(p, p, p, elapsed=elapsed), rss)


def fake_proc(
    root: Path,
    processes: dict[int, tuple[int, int, int]],
    ticks: dict[int, tuple[int, int]] | None = None,
    machine: tuple[int, ...] = (100, 0, 50, 1000, 10, 5, 5, 7),
) -> Path:
    """A /proc with `pid: (parent, rss kB, hwm kB)`, each process's (utime, stime) in
    `ticks` (0, 0 unless given), /proc/stat's `cpu` line (user nice system idle iowait irq
    softirq steal) and a non-process entry."""
    for pid, (parent, rss, hwm) in processes.items():
        user, system = (ticks or {}).get(pid, (0, 0))
        folder = root / str(pid)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "stat").write_text(
            f"{pid} (rasa (x) y) S {parent} {pid} {pid} 0 -1 4194304 100 0 0 0 {user} {system} "
            "0 0 20 0 1 0 100 0"
        )
        (folder / "status").write_text(f"Name:\trasa\nVmHWM:\t{hwm} kB\nVmRSS:\t{rss} kB\n")
    (root / "stat").write_text("cpu  " + " ".join(map(str, machine)) + "\ncpu0 0 0 0 0\n")
    (root / "meminfo").write_text("MemTotal: 1 kB\n")
    return root
