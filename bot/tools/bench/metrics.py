"""The bench's arithmetic: a level's figures per stack, the ratios of one stack to another
(Relay to the baseline, the scaled profile to the embedded Relay) and the targets.
Nothing here does I/O.

Latency is per turn (a message sent until its answer arrived), over the turns that got
a 200; percentiles by nearest rank (bot/tools/soak/figures.py). Throughput is the
answered turns divided by the level's time until the last answer. The scaled profile's
Rasa RSS is the sum over its replicas (`rasa`) and each replica's (`rasa-<n>`); the
memory target holds for each Rasa process.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from bot.tools.bench.cpu import STACK as STACK_CPU
from bot.tools.bench.load import LevelRun
from bot.tools.bench.memory import largest_replica
from bot.tools.bench.stacks import BASELINE, RELAY, SCALED, STACKS
from bot.tools.soak.figures import nearest_rank

SHARES = {"p50": 0.50, "p95": 0.95, "p99": 0.99}
# The targets of issue 12: Relay against the baseline, on the same run.
P95_RATIO = 1.25
READY_SECONDS = 30.0
RASA_RSS_MB = 1536.0
# One customer at a time waits for each answer: a second replica has nothing to do.
SCALED_FROM_LEVEL = 2


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
    # CPU seconds over the level per server, the stack's, the customers', the machine's (cpu.py).
    cpu: dict[str, float] = field(default_factory=dict)

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
    stack: str,
    level: int,
    run: LevelRun,
    rss_mb: dict[str, float] | None = None,
    cpu: dict[str, float] | None = None,
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
        cpu=dict(cpu or {}),
    )


def cores(figures: LevelFigures, key: str) -> float | None:
    """How many cores `key` (cpu.py's STACK, CUSTOMERS or MACHINE) kept busy on average
    over the level (None when not measured)."""
    seconds = figures.cpu.get(key)
    if seconds is None or figures.seconds <= 0:
        return None
    return round(seconds / figures.seconds, 2)


def cpu_per_turn(figures: LevelFigures) -> float | None:
    """The stack's CPU seconds per answered turn (None when not measured or none answered)."""
    seconds = figures.cpu.get(STACK_CPU)
    if seconds is None or figures.answered == 0:
        return None
    return round(seconds / figures.answered, 4)


def ratio(relay: float | None, baseline: float | None) -> float | None:
    """relay / baseline, rounded (None when either is missing or the baseline is 0)."""
    if relay is None or baseline is None or baseline == 0:
        return None
    return round(relay / baseline, 3)


RATIO_KEYS = ("turns_per_second", "p50", "p95", "p99")
# The comparisons of a report: (stack, the stack it is divided by).
RELAY_BY_BASELINE = (RELAY, BASELINE)
SCALED_BY_EMBEDDED = (SCALED, RELAY)
COMPARISONS = (RELAY_BY_BASELINE, SCALED_BY_EMBEDDED)


def ratios(
    figures: list[LevelFigures], pair: tuple[str, str] = RELAY_BY_BASELINE
) -> list[dict[str, Any]]:
    """Per level, one stack's figures divided by another's (Relay's by the baseline's unless
    `pair` says otherwise), and the Rasa RSS (all of a stack's Rasa processes)."""
    over, under = pair
    found = []
    for level in sorted({f.level for f in figures}):
        both = {f.stack: f for f in figures if f.level == level}
        if over not in both or under not in both:
            continue
        top, bottom = both[over], both[under]
        row: dict[str, Any] = {"level": level}
        for key in RATIO_KEYS:
            row[key] = ratio(getattr(top, key), getattr(bottom, key))
        row["rasa_rss"] = ratio(top.rss_mb.get("rasa"), bottom.rss_mb.get("rasa"))
        found.append(row)
    return found


def comparisons(figures: list[LevelFigures]) -> dict[str, list[dict[str, Any]]]:
    """Every comparison with at least one level, by `<stack>/<stack>`."""
    found = {f"{over}/{under}": ratios(figures, (over, under)) for over, under in COMPARISONS}
    return {name: rows for name, rows in found.items() if rows}


@dataclass(frozen=True)
class Target:
    name: str
    passed: bool
    detail: str


def targets(
    figures: list[LevelFigures],
    ready_seconds: dict[str, float],
    rasa_peak_mb: dict[str, dict[str, float]],
    stacks: tuple[str, ...] = STACKS,
) -> list[Target]:
    """Issue 12's targets, and the scaled profile's, each passed or not, with the figures
    that decide it. A target comparing with a stack that was not run (not in `stacks`) is
    left out.

    Args:
        ready_seconds: Each stack's start-up.
        rasa_peak_mb: Each stack's peak memory per server (the scaled one's `rasa-<n>`).
    """
    relays = [stack for stack in (RELAY, SCALED) if stack in stacks]
    found = []
    if BASELINE in stacks:
        found.append(_p95_target(figures))
    found += [
        _errors_target(figures, relays),
        _ready_target(ready_seconds.get(RELAY)),
        _memory_target(rasa_peak_mb, relays),
    ]
    if SCALED in stacks:
        found.append(_scaled_target(figures))
    return found


def _p95_target(figures: list[LevelFigures]) -> Target:
    rows = ratios(figures)
    over = [r for r in rows if r["p95"] is None or r["p95"] > P95_RATIO]
    return Target(
        f"p95 within {P95_RATIO:g}x the baseline at every level",
        bool(rows) and not over,
        ", ".join(f"{r['level']}: {_x(r['p95'])}" for r in rows) or "no level measured",
    )


def _errors_target(figures: list[LevelFigures], relays: list[str]) -> Target:
    details, passed = [], bool(relays)
    for stack in relays:
        mine = [f for f in figures if f.stack == stack]
        errors, empty = sum(f.errors for f in mine), sum(f.empty for f in mine)
        passed = passed and bool(mine) and errors == 0 and empty == 0
        details.append(
            f"{errors} errors, {empty} empty replies in {sum(f.turns for f in mine)} turns"
        )
    return Target(
        f"zero errors and zero empty replies ({_names(relays)})",
        passed,
        _per_stack(relays, details),
    )


def _ready_target(ready: float | None) -> Target:
    return Target(
        f"ready under {READY_SECONDS:g} s (Relay)",
        ready is not None and ready < READY_SECONDS,
        "did not start" if ready is None else f"{ready:.1f} s",
    )


def _memory_target(rasa_peak_mb: dict[str, dict[str, float]], relays: list[str]) -> Target:
    details, passed = [], bool(relays)
    for stack in relays:
        peaks = rasa_peak_mb.get(stack, {})
        peak = largest_replica(peaks)
        passed = passed and peak is not None and peak < RASA_RSS_MB
        if peak is None:
            details.append("not measured")
        elif stack == SCALED:
            count = sum(1 for name in peaks if name.startswith("rasa-"))
            details.append(
                f"largest of {count} processes {peak:.0f} MB, "
                f"{peaks.get('rasa', 0.0):.0f} MB in all"
            )
        else:
            details.append(f"peak {peak:.0f} MB")
    text = _per_stack(relays, details)
    return Target(
        f"under {RASA_RSS_MB / 1024:g} GB RSS per Rasa process ({_names(relays)})",
        passed,
        text + " (VmHWM)" if any(d != "not measured" for d in details) else text,
    )


def _scaled_target(figures: list[LevelFigures]) -> Target:
    """Two replicas ahead of one process in turns/s at every level where that can be."""
    counted, behind, details = 0, 0, []
    for level in sorted({f.level for f in figures}):
        both = {f.stack: f for f in figures if f.level == level}
        if SCALED not in both or RELAY not in both:
            continue
        scaled, relay = both[SCALED], both[RELAY]
        share = _x(ratio(scaled.turns_per_second, relay.turns_per_second))
        if level < SCALED_FROM_LEVEL:
            details.append(f"{level}: {share} (not counted)")
            continue
        counted += 1
        behind += scaled.turns_per_second <= relay.turns_per_second
        details.append(f"{level}: {share}")
    return Target(
        "the scaled profile with two replicas ahead of one process in turns/s "
        f"(every level from {SCALED_FROM_LEVEL})",
        counted > 0 and behind == 0,
        ", ".join(details) or "no level measured",
    )


LABELS = {RELAY: "Relay", BASELINE: "baseline", SCALED: "scaled"}


def _per_stack(stacks: list[str], details: list[str]) -> str:
    """The details joined, each named by its stack when there are several."""
    if len(stacks) < 2:
        return "; ".join(details)
    return "; ".join(
        f"{LABELS[stack]}: {detail}" for stack, detail in zip(stacks, details, strict=True)
    )


def _names(stacks: list[str]) -> str:
    if stacks == [RELAY, SCALED]:
        return "Relay, embedded and scaled"
    return ", ".join(LABELS[stack] for stack in stacks) or "Relay"


def _x(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x"
