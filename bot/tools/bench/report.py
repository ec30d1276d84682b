"""The bench's report: a line per level and stack while it runs, then report.md,
metrics.json and latency.png (latency and throughput against the number of
conversations, every stack), and the section of docs/performance.md.

The section `## Relay against a plain Rasa bot, and scaled` of docs/performance.md sits
between `<!-- bench:start -->` and `<!-- bench:end -->`; a rerun replaces it and leaves
the rest of the file as it was. A stack that was not run is named as such, and the
comparisons and targets that need it are left out.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bot.tools.bench.cpu import CUSTOMERS, MACHINE, STACK
from bot.tools.bench.memory import largest_replica
from bot.tools.bench.metrics import (
    RELAY_BY_BASELINE,
    SCALED_BY_EMBEDDED,
    SCALED_FROM_LEVEL,
    LevelFigures,
    Target,
    comparisons,
    cores,
    cpu_per_turn,
    ratios,
)
from bot.tools.bench.stacks import BASELINE, RELAY, SCALED, STACKS
from bot.tools.soak.report import Machine, replace_section

TITLE = "Relay against a plain Rasa bot, and scaled"
MARKERS = ("<!-- bench:start -->", "<!-- bench:end -->")
DOCS_PAGE = "# Performance\n\nHow fast Relay answers, and what it costs, on one machine.\n"
METHOD = {
    RELAY: (
        "Simulated customers talk to the real stack (Rasa server, action server, SQLite) over "
        "the REST channel, each conversation with a sender id of its own, several conversations "
        "at once: a customer sends a message, waits for the answer and sends the next "
        "(`bot/tools/bench/load.py`; the scripts are the soak's: an order's status proven with "
        "its email, delivery costs, store hours, a return, a request for a person)."
    ),
    BASELINE: (
        "The same scripts go, in the same run, to a baseline: a plain Rasa bot trained on the "
        "same data/ and domain.yml with `rasa init`'s config (Rasa's default pipeline and "
        "policies), Rasa's stock REST channel and its own instance of the same action server "
        "(`bot/tools/bench/stacks.py`)."
    ),
    SCALED: (
        "The same scripts go to Relay's scaled profile too (`make run-scaled`: two Rasa "
        "replicas behind nginx, PostgreSQL, Redis, one action server; "
        "`bot/tools/bench/scaled.py`), with the same model as the embedded Relay's one Rasa "
        "process."
    ),
    None: (
        "The stacks are measured in turn at each level, the order rotating per level; all of "
        "them run throughout, idle while another is measured. Errors are HTTP errors and "
        "timeouts; an empty reply is a 200 with no message for the customer. Before the first "
        "level each stack hears every script once (a warm-up, not counted); the simulated "
        "customers run on the same machine as the stacks."
    ),
}


def method(stacks: dict[str, Any]) -> str:
    """How the bench measures, naming only the stacks that ran."""
    return " ".join(METHOD[part] for part in (*STACKS, None) if part is None or part in stacks)


COLOURS = {RELAY: "#2f6db5", BASELINE: "#c9782f", SCALED: "#3f9a5a"}
LABELS = {
    RELAY: "Relay",
    BASELINE: "baseline (plain Rasa)",
    SCALED: "Relay scaled (2 replicas)",
}
COMPARISON_TITLES = {RELAY_BY_BASELINE: "Relay / baseline", SCALED_BY_EMBEDDED: "scaled / embedded"}
COMPARISON_NOTES = {
    RELAY_BY_BASELINE: "",
    SCALED_BY_EMBEDDED: (
        "The scaled profile's figures divided by the embedded Relay's (one Rasa process, "
        "SQLite); its Rasa RSS is the sum over both replicas. At 1 conversation one customer "
        "at a time waits for each answer, so a second process has nothing to do: the target "
        f"counts the levels from {SCALED_FROM_LEVEL}."
    ),
}


def _s(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _x(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x"


def _mb(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}"


def _c(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _ms(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds * 1000:.0f}"


def rasa_mb(rss_mb: dict[str, float]) -> str:
    """The Rasa RSS of a stack: one process's, or the sum over replicas with the largest."""
    total, largest = rss_mb.get("rasa"), largest_replica(rss_mb)
    if total is None or largest == total:
        return _mb(total)
    return f"{_mb(total)} (largest {_mb(largest)})"


def progress_line(figures: LevelFigures) -> str:
    """One line per level and stack, printed as soon as it is measured."""
    return (
        f"level {figures.level:>3} {figures.stack:<8} {figures.turns:>5} turns in "
        f"{figures.seconds:5.1f} s = {figures.turns_per_second:6.2f} turns/s | "
        f"p50 {_s(figures.p50)} p95 {_s(figures.p95)} p99 {_s(figures.p99)} s | "
        f"{figures.errors} errors, {figures.empty} empty | "
        f"RSS rasa {rasa_mb(figures.rss_mb)} MB, "
        f"actions {_mb(figures.rss_mb.get('actions'))} MB | "
        f"cores busy: stack {_c(cores(figures, STACK))}, "
        f"customers {_c(cores(figures, CUSTOMERS))}, machine {_c(cores(figures, MACHINE))}"
    )


def ran(figures: list[LevelFigures]) -> list[str]:
    """The stacks with figures, in the tables' order."""
    return [stack for stack in STACKS if any(f.stack == stack for f in figures)]


def level_table(figures: list[LevelFigures]) -> list[str]:
    lines = [
        "| Conversations | Stack | Turns | Turns/s | p50 (s) | p95 (s) | p99 (s) | Errors "
        "(timeouts) | Empty replies | Peak RSS Rasa / actions (MB) |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for f in sorted(figures, key=lambda f: (f.level, STACKS.index(f.stack))):
        lines.append(
            f"| {f.level} | {LABELS[f.stack]} | {f.turns} | {f.turns_per_second:.2f} | "
            f"{_s(f.p50)} | {_s(f.p95)} | {_s(f.p99)} | {f.errors} ({f.timeouts}) | {f.empty} | "
            f"{rasa_mb(f.rss_mb)} / {_mb(f.rss_mb.get('actions'))} |"
        )
    return lines


CPU_NOTE = (
    "Cores kept busy on average over each level (CPU seconds / the level's seconds; "
    "`bot/tools/bench/cpu.py`): by the stack measured (all its processes), by the simulated "
    "customers (the bench's own process), and by everything else on the machine (the idle "
    "stacks and any other work): whatever the machine's cores left to the stack."
)


def cpu_table(figures: list[LevelFigures], host_cores: int) -> list[str]:
    """Per level and stack: CPU per turn, and where the machine's cores went."""
    lines = [
        CPU_NOTE,
        "",
        "| Conversations | Stack | CPU per turn (ms) | Cores busy: stack | customers | "
        f"everything else | idle (of {host_cores}) |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for f in sorted(figures, key=lambda f: (f.level, STACKS.index(f.stack))):
        stack, customers, machine = (cores(f, key) for key in (STACK, CUSTOMERS, MACHINE))
        rest = idle = None
        if stack is not None and customers is not None and machine is not None:
            rest = max(0.0, machine - stack - customers)
            idle = max(0.0, host_cores - machine)
        lines.append(
            f"| {f.level} | {LABELS[f.stack]} | {_ms(cpu_per_turn(f))} | {_c(stack)} | "
            f"{_c(customers)} | {_c(rest)} | {_c(idle)} |"
        )
    return lines


def ratio_table(
    figures: list[LevelFigures], pair: tuple[str, str] = RELAY_BY_BASELINE
) -> list[str]:
    lines = [
        "| Conversations | Turns/s | p50 | p95 | p99 | Rasa RSS |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in ratios(figures, pair):
        lines.append(
            f"| {row['level']} | {_x(row['turns_per_second'])} | {_x(row['p50'])} | "
            f"{_x(row['p95'])} | {_x(row['p99'])} | {_x(row['rasa_rss'])} |"
        )
    return lines


def comparison_sections(figures: list[LevelFigures], sub: str) -> list[str]:
    """A table per comparison whose two stacks both ran."""
    lines: list[str] = []
    for pair, title in COMPARISON_TITLES.items():
        if not ratios(figures, pair):
            continue
        note = COMPARISON_NOTES[pair]
        lines += [f"{sub} {title}", "", *([note, ""] if note else []), *ratio_table(figures, pair)]
        lines.append("")
    return lines


def failed_steps(figures: list[LevelFigures]) -> list[str]:
    """Which script steps got an error or no message, per stack, over all levels."""
    lines = []
    for stack in ran(figures):
        counts: dict[str, int] = {}
        for f in figures:
            if f.stack == stack:
                for step, count in f.failed_steps.items():
                    counts[step] = counts.get(step, 0) + count
        found = ", ".join(f"{step} ({count})" for step, count in sorted(counts.items()))
        lines.append(f"- {LABELS[stack]}: {found or 'none'}")
    return lines


def stack_rows(run: dict[str, Any]) -> list[str]:
    """The run table's rows on the stacks: models, what was not run, start-up, memory."""
    stacks = run["stacks"]
    names = [s for s in STACKS if s in stacks]
    rows = [f"| Relay model | `{stacks[RELAY]['model']}` |"]
    baseline = stacks.get(BASELINE)
    if baseline:
        rows.append(f"| Baseline model | `{baseline['model']}` ({baseline['config']}) |")
    else:
        rows.append(
            "| Baseline | not run (`--baseline none`): no Relay / baseline comparison, "
            "no p95 target |"
        )
    scaled = stacks.get(SCALED)
    if scaled:
        served = ", ".join(f"{name} {count}" for name, count in scaled["served"].items())
        rows.append(
            f"| Scaled profile | {scaled['replicas']} Rasa replicas (Relay's model) behind nginx "
            f"(`least_conn`), PostgreSQL, Redis, one action server; requests served per replica "
            f"(nginx's access log): {served} |"
        )
    else:
        rows.append("| Scaled profile | not run (`--no-scaled`) |")
    rows += [
        f"| Ready (start to REST channel answering{run['ready_note']}) | "
        + ", ".join(f"{LABELS[s]} {stacks[s]['ready_seconds']:.1f} s" for s in names)
        + " |",
        "| Peak RSS over the run (VmHWM, Rasa / actions; scaled: the sum of its replicas' peaks, "
        "the largest in brackets) | "
        + ", ".join(
            f"{LABELS[s]} {rasa_mb(stacks[s]['hwm_mb'])} / "
            f"{_mb(stacks[s]['hwm_mb'].get('actions'))} MB"
            for s in names
        )
        + " |",
    ]
    return rows


def markdown(
    figures: list[LevelFigures],
    found: list[Target],
    run: dict[str, Any],
    host: Machine,
    plot: str | None = "latency.png",
    heading: str = "#",
) -> str:
    """report.md (or, with `heading` "##", the docs' section): the run, the tables, the
    targets and the plot."""
    sub = heading + "#"
    order = "order rotating per level" if len(run["stacks"]) > 2 else "order alternating per level"
    lines = [
        f"{heading} {TITLE}",
        "",
        method(run["stacks"]),
        "",
        "| | |",
        "| --- | --- |",
        f"| Date | {run['date']} |",
        f"| Command | `{run['command']}` |",
        f"| Machine | {host.describe()} |",
        f"| Load average (1 min) before / after | {run['load_before']} / {run['load_after']} "
        "(the machine is shared: other work ran beside the bench) |",
        f"| Levels | {', '.join(str(level) for level in run['levels'])} conversations at once, "
        f"{run['seconds']:g} s each per stack, A/B interleaved ({order}) |",
        f"| Scripts | {', '.join(run['scripts'])} |",
        f"| Think time | {run['think']:g} s between a customer's messages |",
        *stack_rows(run),
        "",
        f"{sub} Per level",
        "",
        *level_table(figures),
        "",
        "Turns with an error or an empty reply, by script and step (#1 is the first message):",
        "",
        *failed_steps(figures),
        "",
        f"{sub} CPU per level",
        "",
        *cpu_table(figures, host.cores),
        "",
        *comparison_sections(figures, sub),
        f"{sub} Targets",
        "",
        "| Target | Result | Figures |",
        "| --- | --- | --- |",
        *(f"| {t.name} | {'pass' if t.passed else 'FAIL'} | {t.detail} |" for t in found),
    ]
    if plot:
        lines += ["", f"![Latency and throughput against load, every stack]({plot})"]
    return "\n".join(lines) + "\n"


def docs_section(
    figures: list[LevelFigures], found: list[Target], run: dict[str, Any], host: Machine, plot: str
) -> str:
    """The bench's section of docs/performance.md (`## ` + TITLE), markers included."""
    body = markdown(figures, found, run, host, plot, heading="##").rstrip("\n")
    return f"{MARKERS[0]}\n{body}\n\n{MARKERS[1]}"


def update_docs(document: str | None, section: str) -> str:
    """docs/performance.md with `section` in place (a new page if there is none yet)."""
    return replace_section(document or DOCS_PAGE, section, MARKERS, before_heading="")


def write_json(
    path: Path, figures: list[LevelFigures], found: list[Target], run: dict[str, Any]
) -> None:
    document = {
        **run,
        "results": [f.as_dict() for f in figures],
        "ratios": ratios(figures),
        "comparisons": comparisons(figures),
        "targets": [asdict(t) for t in found],
    }
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def plot(path: Path, figures: list[LevelFigures]) -> list[str]:
    """latency.png: p50 and p95 per turn, and turns/s, against conversations at once, a
    colour per stack; returns the stacks' labels in the legend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (latency, throughput) = plt.subplots(1, 2, figsize=(11, 4.2))
    for stack in STACKS:
        mine = sorted((f for f in figures if f.stack == stack), key=lambda f: f.level)
        if not mine:
            continue
        levels = [f.level for f in mine]
        colour, label = COLOURS[stack], LABELS[stack]
        latency.plot(levels, [f.p95 for f in mine], "o-", color=colour, label=f"{label} p95")
        latency.plot(levels, [f.p50 for f in mine], "o--", color=colour, label=f"{label} p50")
        throughput.plot(levels, [f.turns_per_second for f in mine], "o-", color=colour, label=label)
    levels = sorted({f.level for f in figures})
    for axis in (latency, throughput):
        axis.set_xscale("log")
        axis.set_xticks(levels)
        axis.set_xticklabels([str(level) for level in levels])
        axis.minorticks_off()
        axis.set_ylim(bottom=0)
        axis.set_xlabel("conversations at once")
        axis.grid(True, alpha=0.3)
        axis.legend(fontsize=8)
    latency.set_ylabel("seconds per turn")
    latency.set_title("Latency per turn")
    throughput.set_ylabel("turns per second")
    throughput.set_title("Throughput")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return [str(label) for label in throughput.get_legend_handles_labels()[1]]
