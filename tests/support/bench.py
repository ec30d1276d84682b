"""Stand-ins for tests of bot/tools/bench/: turns and level runs built by hand."""

from __future__ import annotations

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
