"""The bench's arithmetic: a level's figures per stack, Relay's ratios to the baseline,
and the targets. Nothing here does I/O.

Latency is per turn (a message sent until its answer arrived), over the turns that got
a 200; percentiles by nearest rank (bot/tools/soak/figures.py). Throughput is the
answered turns divided by the level's time until the last answer.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

from bot.tools.bench.load import LevelRun
from bot.tools.bench.stacks import BASELINE, RELAY
from bot.tools.soak.figures import nearest_rank

SHARES = {"p50": 0.50, "p95": 0.95, "p99": 0.99}
# The targets of issue 12: Relay against the baseline, on the same run.
P95_RATIO = 1.25
READY_SECONDS = 30.0
RASA_RSS_MB = 1536.0


@dataclass(frozen=True)
class LevelFigures:
    """One stack at one level."""

    stack: str
    level: int
    turns: int
    answered: int
    seconds: float
    turns_per_second: float
    p50: float | None
    p95: float | None
    p99: float | None
    max: float | None
    errors: int
    timeouts: int
    http_errors: int
    empty: int
    rss_mb: dict[str, float]
    # "script #step: count" of the turns that were errors or empty replies.
    failed_steps: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def latencies(run: LevelRun) -> dict[str, float | None]:
    """p50, p95, p99 and the maximum of the answered turns' latencies, in seconds."""
    ordered = sorted(turn.seconds for turn in run.turns if not turn.error)
    if not ordered:
        return {**dict.fromkeys(SHARES), "max": None}
    found: dict[str, float | None] = {
        name: round(nearest_rank(ordered, share), 4) for name, share in SHARES.items()
    }
    found["max"] = round(ordered[-1], 4)
    return found


def level_figures(
    stack: str, level: int, run: LevelRun, rss_mb: dict[str, float] | None = None
) -> LevelFigures:
    """The figures of `run` (stack `stack` at `level` conversations)."""
    answered = [turn for turn in run.turns if not turn.error]
    errors = [turn for turn in run.turns if turn.error]
    timeouts = sum(1 for turn in errors if turn.timed_out)
    http_errors = sum(1 for turn in errors if turn.status is not None)
    found = latencies(run)
    return LevelFigures(
        stack=stack,
        level=level,
        turns=len(run.turns),
        answered=len(answered),
        seconds=round(run.elapsed, 2),
        turns_per_second=round(len(answered) / run.elapsed, 2) if run.elapsed > 0 else 0.0,
        p50=found["p50"],
        p95=found["p95"],
        p99=found["p99"],
        max=found["max"],
        errors=len(errors),
        timeouts=timeouts,
        http_errors=http_errors,
        empty=sum(1 for turn in answered if turn.empty),
        rss_mb=dict(rss_mb or {}),
        failed_steps=dict(
            Counter(
                f"{turn.script} #{turn.step + 1}" for turn in run.turns if turn.error or turn.empty
            )
        ),
    )


def ratio(relay: float | None, baseline: float | None) -> float | None:
    """relay / baseline, rounded (None when either is missing or the baseline is 0)."""
    if relay is None or baseline is None or baseline == 0:
        return None
    return round(relay / baseline, 3)


RATIO_KEYS = ("turns_per_second", "p50", "p95", "p99")


def ratios(figures: list[LevelFigures]) -> list[dict[str, Any]]:
    """Per level, Relay's figures divided by the baseline's (and the Rasa server's RSS)."""
    found = []
    for level in sorted({f.level for f in figures}):
        pair = {f.stack: f for f in figures if f.level == level}
        if RELAY not in pair or BASELINE not in pair:
            continue
        relay, baseline = pair[RELAY], pair[BASELINE]
        row: dict[str, Any] = {"level": level}
        for key in RATIO_KEYS:
            row[key] = ratio(getattr(relay, key), getattr(baseline, key))
        row["rasa_rss"] = ratio(relay.rss_mb.get("rasa"), baseline.rss_mb.get("rasa"))
        found.append(row)
    return found


@dataclass(frozen=True)
class Target:
    name: str
    passed: bool
    detail: str


def targets(
    figures: list[LevelFigures],
    ready_seconds: dict[str, float],
    rasa_peak_mb: dict[str, float],
) -> list[Target]:
    """Issue 12's targets, each passed or not, with the figures that decide it."""
    relay = [f for f in figures if f.stack == RELAY]
    rows = ratios(figures)
    over = [r for r in rows if r["p95"] is None or r["p95"] > P95_RATIO]
    errors = sum(f.errors for f in relay)
    empty = sum(f.empty for f in relay)
    ready = ready_seconds.get(RELAY)
    peak = rasa_peak_mb.get(RELAY)
    checks = (
        (
            f"p95 within {P95_RATIO:g}x the baseline at every level",
            bool(rows) and not over,
            ", ".join(f"{r['level']}: {_x(r['p95'])}" for r in rows) or "no level measured",
        ),
        (
            "zero errors and zero empty replies (Relay)",
            bool(relay) and errors == 0 and empty == 0,
            f"{errors} errors, {empty} empty replies in {sum(f.turns for f in relay)} turns",
        ),
        (
            f"ready under {READY_SECONDS:g} s (Relay)",
            ready is not None and ready < READY_SECONDS,
            "did not start" if ready is None else f"{ready:.1f} s",
        ),
        (
            f"under {RASA_RSS_MB / 1024:g} GB RSS per Rasa process (Relay)",
            peak is not None and peak < RASA_RSS_MB,
            "not measured" if peak is None else f"peak {peak:.0f} MB (VmHWM)",
        ),
    )
    return [Target(name, passed, detail) for name, passed, detail in checks]


def _x(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x"
