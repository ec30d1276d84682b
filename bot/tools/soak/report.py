"""The soak's report: a summary for the terminal, soak.json, a plot, and docs/reliability.md.

The `## Soak` section of docs/reliability.md sits between `<!-- soak:start -->` and
`<!-- soak:end -->`, after the title paragraph and before `## Dependency audit`; a
rerun replaces it and leaves the rest of the file as it was.
"""

from __future__ import annotations

import json
import os
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.tools.soak.figures import BUCKET_SECONDS, SERIES, Figures

START = "<!-- soak:start -->"
END = "<!-- soak:end -->"
BEFORE = "## Dependency audit"
CPUINFO = Path("/proc/cpuinfo")
MEMINFO = Path("/proc/meminfo")
COLOURS = ("#4c9a5f", "#e0a030", "#c94f4f", "#8fa7c9", "#777777")
DOWN_COLOUR = "#b0b0b0"
FAULT_COLOUR = "#e3e3e3"


@dataclass(frozen=True)
class Machine:
    cpu: str
    cores: int
    ram_gb: float
    python: str
    system: str

    def describe(self) -> str:
        return (
            f"{self.cpu}, {self.cores} cores, {self.ram_gb:.1f} GB RAM, "
            f"Python {self.python}, {self.system}"
        )


def cpu_model(cpuinfo: str) -> str:
    """The first `model name` of /proc/cpuinfo's text ('unknown' if none)."""
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name" and value.strip():
            return value.strip()
    return "unknown"


def ram_gb(meminfo: str) -> float:
    """MemTotal of /proc/meminfo's text, in GB (0 if absent)."""
    for line in meminfo.splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024 / 1024
    return 0.0


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def machine() -> Machine:
    """This machine, as the report names it."""
    return Machine(
        cpu=cpu_model(_read(CPUINFO)) if CPUINFO.exists() else platform.processor() or "unknown",
        cores=os.cpu_count() or 0,
        ram_gb=ram_gb(_read(MEMINFO)),
        python=platform.python_version(),
        system=f"{platform.system()} {platform.release()} {platform.machine()}",
    )


def _seconds(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.2f} s" if value < 10 else f"{value:.0f} s"


def _times(found: dict[str, float | None]) -> str:
    return " / ".join(_seconds(found.get(key)) for key in ("p50", "p95", "max"))


def _share(part: int, whole: int) -> str:
    return f"{part} of {whole}"


def figure_rows(figures: Figures) -> list[tuple[str, str]]:
    """The figures table: (what, value)."""
    conversations = figures.conversations
    scripted = conversations.get("rest", 0) + conversations.get("widget", 0)
    return [
        (
            "Conversations",
            f"{scripted} scripted ({conversations.get('rest', 0)} REST, "
            f"{conversations.get('widget', 0)} widget) + "
            f"{conversations.get('bad_input', 0)} bad-input",
        ),
        ("Messages sent (each counted once)", str(figures.messages_sent)),
        ("Requests made (with retries and refused bad input)", str(figures.requests)),
        ("Messages accepted (200)", str(figures.accepted)),
        ("Replies received (the bot said something)", str(figures.replies_received)),
        ("... of which apologies (action server down)", str(figures.apologies)),
        ("Apologies outside a fault", str(figures.apologies_outside_faults)),
        ("Empty replies outside handoffs", str(figures.empty_replies)),
        ("Quiet replies inside handoffs (expected)", str(figures.quiet_in_handoff)),
        ("Sent again after a 503 or no answer", str(figures.retried)),
        ("429 (flood limit)", str(figures.throttled)),
        ("503 or no answer outside a fault", str(figures.unavailable_outside_faults)),
        ("Unexpected statuses (5xx other than 503, wrong 4xx)", str(figures.unexpected_statuses)),
        (
            "Bad input answered as the catalogue expects",
            _share(figures.bad_inputs_as_expected, figures.bad_inputs_sent),
        ),
        ("**Messages lost** (accepted, not in the tracker)", f"**{figures.messages_lost}**"),
        ("Messages never accepted (gave up)", str(figures.given_up)),
        ("Duplicated in the tracker", str(figures.duplicates)),
        ("Stored without a 200", str(figures.stored_unacknowledged)),
        (
            "Tickets created / expected",
            f"{figures.tickets_created} / {figures.tickets_expected}"
            + (
                f" ({len(figures.tickets_unexpected)} unannounced)"
                if figures.tickets_unexpected
                else ""
            ),
        ),
        (
            "Agent replies delivered / sent",
            f"{figures.agent_replies_received} / {figures.agent_replies_awaited} received by the "
            f"waiting customer; {figures.agent_replies_in_outbox} / {figures.agent_replies_sent} "
            "in the outbox",
        ),
        ("Agent reply duplicates", str(figures.agent_reply_duplicates)),
        ("Answer time outside faults (p50 / p95 / max)", _times(figures.answer_seconds)),
        ("Answer time during faults (p50 / p95 / max)", _times(figures.answer_seconds_in_faults)),
        ("Client errors", str(len(figures.errors))),
    ]


def fault_rows(figures: Figures) -> list[tuple[str, str, str, str, str, str]]:
    """The faults table: (fault, at, down, ready after, recovery, retried/apologies)."""
    return [
        (
            fault.label,
            f"{fault.started_at:.0f} s",
            _seconds(fault.down_seconds),
            _seconds(fault.ready_after),
            _seconds(fault.recovery_seconds),
            f"{fault.retried} / {fault.apologies}",
        )
        for fault in figures.faults
    ]


def summary(figures: Figures) -> str:
    """The figures as plain text for the terminal."""
    lines = ["", "Soak results", "============"]
    lines += [
        f"  {what.replace('*', '')}: {value.replace('*', '')}"
        for what, value in figure_rows(figures)
    ]
    lines.append("  Faults:")
    for label, at, down, ready, recovery, failed in fault_rows(figures):
        lines.append(
            f"    {label} at {at}: down {down}, ready {ready} after, "
            f"first normal answer {recovery} after; retried/apologies {failed}"
        )
    problems = figures.problems()
    lines.append("  PASSED" if not problems else "  FAILED: " + "; ".join(problems))
    for error in figures.errors[:20]:
        lines.append(f"    {error}")
    return "\n".join(lines)


def section(
    figures: Figures, host: Machine, date: str, command: str, plot: str | None = "soak.png"
) -> str:
    """The `## Soak` section of docs/reliability.md, markers included."""
    verdict = figures.problems()
    lines = [
        START,
        "## Soak",
        "",
        "A mixed load on loopback against the real stack (both servers, SQLite), with faults "
        "injected during the run (`bot/tools/soak/run.py`): scripted REST customers (order status "
        "with the order's email, delivery cost, store hours, a return, some asking for a "
        "person), widget visitors, an agent answering handoffs through the console API, and "
        "the bad-input catalogue (`bot/tools/soak/bad_input.py`). Clients send a message "
        "again after a 503 or no answer, never drop it. Afterwards every message Relay "
        "accepted is looked up in the tracker store, every announced handoff in the ticket "
        "table, and every agent reply in the customer's outbox.",
        "",
        "| | |",
        "| --- | --- |",
        f"| Date | {date} |",
        f"| Command | `{command}` |",
        f"| Duration | {figures.load_seconds:.0f} s of load, "
        f"{figures.total_seconds:.0f} s with the drain (clients finishing) |",
        f"| Machine | {host.describe()} |",
        f"| Result | {'passed' if not verdict else 'FAILED: ' + '; '.join(verdict)} |",
        "",
        "| Figure | Value |",
        "| --- | --- |",
        *(f"| {what} | {value} |" for what, value in figure_rows(figures)),
        "",
        "Faults (times from the start of the load; recovery: from the restart or unlock until "
        "the first normal answer to a message sent after the last failure):",
        "",
        "| Fault | At | Down | Ready after | Recovery | Retried / apologies |",
        "| --- | --- | --- | --- | --- | --- |",
        *("| " + " | ".join(row) + " |" for row in fault_rows(figures)),
    ]
    if plot:
        lines += [
            "",
            f"![Requests per {BUCKET_SECONDS:g} s during the soak, by outcome, faults shaded]"
            f"({plot})",
        ]
    lines += ["", END]
    return "\n".join(lines)


def replace_section(
    document: str, new: str, markers: tuple[str, str] = (START, END), before_heading: str = BEFORE
) -> str:
    """`document` with its section between `markers` (the soak's by default) replaced by
    `new` (or inserted before `before_heading`, or appended when neither is there)."""
    first, last = markers
    start, end = document.find(first), document.find(last)
    if start != -1 and end > start:
        return document[:start] + new + document[end + len(last) :]
    before = document.find("\n" + before_heading) if before_heading else -1
    if before != -1:
        return document[: before + 1] + new + "\n\n" + document[before + 1 :]
    return document.rstrip("\n") + "\n\n" + new + "\n"


def write_json(path: Path, figures: Figures, extra: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**extra, **figures.as_dict()}, indent=2, ensure_ascii=False))


def plot(
    path: Path,
    series: dict[str, list[int]],
    faults: list[tuple[str, float, float, float]],
    load_seconds: float,
) -> None:
    """Stacked bars of requests per bucket by outcome, each fault shaded and labelled.

    Args:
        series: From figures.buckets.
        faults: (short label, start, restored, recovered) of each fault: dark while the
            server is down or the database locked, light until the first normal answer.
        load_seconds: Where the load stopped (a dashed line; the drain follows).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    figure, axes = plt.subplots(figsize=(11, 4.4))
    width = BUCKET_SECONDS
    count = len(next(iter(series.values()), []))
    starts = [index * width for index in range(count)]
    bottom = [0] * count
    for (label, _), colour in zip(SERIES, COLOURS, strict=True):
        values = series.get(label, [0] * count)
        axes.bar(
            starts,
            values,
            width=width * 0.9,
            bottom=bottom,
            color=colour,
            label=label,
            align="edge",
            zorder=2,
        )
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    top = max(bottom, default=1) or 1
    for number, (label, start, restored, recovered) in enumerate(faults):
        axes.axvspan(start, restored, color=DOWN_COLOUR, alpha=0.6, zorder=0)
        axes.axvspan(restored, max(restored, recovered), color=FAULT_COLOUR, alpha=0.6, zorder=0)
        axes.text(start, top * (1.12 - 0.07 * (number % 2)), f" {label}", fontsize=8, va="bottom")
    axes.axvline(load_seconds, color="#555555", linestyle="--", linewidth=1)
    axes.text(load_seconds, top * 0.95, " load stops", fontsize=8, color="#555555")
    axes.set_xlabel("seconds since the load started")
    axes.set_ylabel(f"customer requests per {width:g} s")
    axes.set_ylim(0, top * 1.22)
    axes.set_xlim(0, max(starts[-1] + width if starts else width, load_seconds + width))
    axes.set_title("Relay soak: customer requests by outcome, with the faults")
    handles, labels = axes.get_legend_handles_labels()
    handles += [Patch(color=DOWN_COLOUR, alpha=0.6), Patch(color=FAULT_COLOUR, alpha=0.6)]
    labels += [
        "fault on (server down / database locked)",
        "restarted, until the first normal answer",
    ]
    axes.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
