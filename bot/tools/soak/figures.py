"""The figures of a soak: counts from the journal and the checks, and what makes it fail.

A soak fails (exit code 1) when a message Relay accepted is missing from its
conversation, a message was never accepted, a request got a status it should
never get (a 5xx but a 503 during a fault, a bad input answered wrongly), a 503
or no answer came outside a fault, an announced ticket is missing, or an agent's
reply didn't reach the customer. Duplicates, empty replies and apologies are
reported, not failed on: they are what the figures are for.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from bot.tools.soak.faults import outside, windows
from bot.tools.soak.journal import (
    AGENT,
    ANSWERED,
    APOLOGY,
    BAD_INPUT,
    EMPTY,
    QUIET,
    REFUSED,
    RETRIED,
    THROTTLED,
    UNEXPECTED,
    Exchange,
    FaultRecord,
    Journal,
)
from bot.tools.soak.verify import MessageCheck, ReplyCheck, TicketCheck

BUCKET_SECONDS = 5.0
# What the plot stacks, bottom up: a label and the outcomes it counts.
SERIES = (
    ("answered", (ANSWERED, QUIET)),
    ("apology", (APOLOGY,)),
    ("retried (503 / no answer / 429)", (RETRIED, THROTTLED)),
    ("bad input refused (4xx)", (REFUSED,)),
    ("empty or unexpected", (EMPTY, UNEXPECTED)),
)


def nearest_rank(ordered: list[float], share: float) -> float:
    """The `share` quantile (0-1) of sorted, non-empty `ordered`, by nearest rank."""
    index = max(0, min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1))
    return ordered[index]


def percentiles(values: list[float]) -> dict[str, float | None]:
    """p50, p95 and the maximum of `values` (nearest rank), rounded to milliseconds."""
    if not values:
        return {"p50": None, "p95": None, "max": None}
    ordered = sorted(values)
    return {
        "p50": round(nearest_rank(ordered, 0.5), 3),
        "p95": round(nearest_rank(ordered, 0.95), 3),
        "max": round(ordered[-1], 3),
    }


@dataclass
class FaultFigures:
    kind: str
    label: str
    started_at: float
    restored_at: float | None
    down_seconds: float | None
    ready_after: float | None
    recovery_seconds: float | None
    retried: int
    apologies: int


def fault_figures(
    fault: FaultRecord, exchanges: list[Exchange], span: tuple[float, float]
) -> FaultFigures:
    start, stop = span
    during = [e for e in exchanges if e.client != AGENT and start <= e.done_at <= stop]
    down = None if fault.restored_at is None else fault.restored_at - fault.started_at
    return FaultFigures(
        kind=fault.kind,
        label=fault.label,
        started_at=round(fault.started_at, 1),
        restored_at=None if fault.restored_at is None else round(fault.restored_at, 1),
        down_seconds=None if down is None else round(down, 1),
        ready_after=None if fault.ready_after is None else round(fault.ready_after, 1),
        recovery_seconds=None if fault.recovery is None else round(fault.recovery, 1),
        retried=sum(e.outcome in (RETRIED, THROTTLED) for e in during),
        apologies=sum(e.outcome == APOLOGY for e in during),
    )


@dataclass
class Figures:
    """Everything the report shows (times in seconds since the load started)."""

    load_seconds: float
    total_seconds: float
    conversations: dict[str, int]
    messages_sent: int
    requests: int
    accepted: int
    replies_received: int
    bot_answers: int
    apologies: int
    apologies_outside_faults: int
    empty_replies: int
    quiet_in_handoff: int
    retried: int
    throttled: int
    unexpected_statuses: int
    unavailable_outside_faults: int
    bad_inputs_sent: int
    bad_inputs_as_expected: int
    given_up: int
    messages_lost: int
    duplicates: int
    stored_unacknowledged: int
    tickets_expected: int
    tickets_created: int
    tickets_missing: list[str]
    tickets_unexpected: list[str]
    tickets_still_open: list[str]
    handoffs_unresolved: list[str]
    agent_replies_sent: int
    agent_replies_in_outbox: int
    agent_replies_awaited: int
    agent_replies_received: int
    agent_replies_missing: list[list[str]]
    agent_reply_duplicates: int
    agent_retries: int
    poll_failures: int
    answer_seconds: dict[str, float | None]
    answer_seconds_in_faults: dict[str, float | None]
    faults: list[FaultFigures]
    errors: list[str] = field(default_factory=list)
    lost: list[list[str]] = field(default_factory=list)

    def problems(self) -> list[str]:
        """Why the soak fails; empty when it passes."""
        found = []
        if self.messages_lost:
            found.append(f"{self.messages_lost} accepted message(s) missing from the tracker")
        if self.given_up:
            found.append(f"{self.given_up} message(s) never accepted")
        if self.unexpected_statuses:
            found.append(f"{self.unexpected_statuses} request(s) got a status they should not")
        if self.unavailable_outside_faults:
            found.append(f"{self.unavailable_outside_faults} 503/no answer outside a fault")
        if self.tickets_missing:
            found.append(f"{len(self.tickets_missing)} announced ticket(s) missing")
        if self.handoffs_unresolved:
            found.append(f"{len(self.handoffs_unresolved)} handoff(s) never resolved")
        if self.agent_replies_missing:
            found.append(f"{len(self.agent_replies_missing)} agent reply(ies) not delivered")
        if self.errors and not found:
            found.append(f"{len(self.errors)} client error(s)")
        return found

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def build(
    journal: Journal,
    load_seconds: float,
    messages: MessageCheck,
    tickets: TicketCheck,
    replies: ReplyCheck,
) -> Figures:
    """The figures of a finished run (its faults' recovery already measured)."""
    end = journal.now()
    spans = windows(journal.faults, end)
    customers = [e for e in journal.exchanges if e.client != AGENT]
    outcomes = Counter(e.outcome for e in customers)
    bad = [e for e in customers if e.client == BAD_INPUT]
    answered = [e for e in customers if e.status == 200]
    return Figures(
        load_seconds=round(load_seconds, 1),
        total_seconds=round(end, 1),
        conversations=dict(Counter(journal.conversations.values())),
        messages_sent=len(journal.messages),
        requests=len(customers),
        accepted=messages.accepted,
        replies_received=outcomes[ANSWERED] + outcomes[APOLOGY],
        bot_answers=outcomes[ANSWERED],
        apologies=outcomes[APOLOGY],
        apologies_outside_faults=sum(e.outcome == APOLOGY and outside(e, spans) for e in customers),
        empty_replies=outcomes[EMPTY],
        quiet_in_handoff=outcomes[QUIET],
        retried=outcomes[RETRIED],
        throttled=outcomes[THROTTLED],
        unexpected_statuses=outcomes[UNEXPECTED]
        + sum(e.outcome == UNEXPECTED for e in journal.exchanges if e.client == AGENT),
        unavailable_outside_faults=sum(
            e.outcome == RETRIED and outside(e, spans) for e in journal.exchanges
        ),
        bad_inputs_sent=sum(e.outcome != RETRIED for e in bad),
        bad_inputs_as_expected=sum(e.outcome not in (RETRIED, UNEXPECTED) for e in bad),
        given_up=sum(m.given_up for m in journal.messages),
        messages_lost=len(messages.lost),
        duplicates=len(messages.duplicates),
        stored_unacknowledged=len(messages.stored_unacknowledged),
        tickets_expected=tickets.expected,
        tickets_created=tickets.created,
        tickets_missing=tickets.missing,
        tickets_unexpected=tickets.unexpected,
        tickets_still_open=tickets.still_open,
        handoffs_unresolved=sorted(c for c, h in journal.handoffs.items() if not h.resolved_seen),
        agent_replies_sent=replies.sent,
        agent_replies_in_outbox=replies.in_outbox,
        agent_replies_awaited=replies.awaited,
        agent_replies_received=replies.received,
        agent_replies_missing=[list(key) for key in replies.missing],
        agent_reply_duplicates=len(replies.duplicates),
        agent_retries=sum(r.attempts - 1 for r in journal.agent_replies),
        poll_failures=journal.poll_failures,
        answer_seconds=percentiles([e.done_at - e.sent_at for e in answered if outside(e, spans)]),
        answer_seconds_in_faults=percentiles(
            [e.done_at - e.sent_at for e in answered if not outside(e, spans)]
        ),
        faults=[
            fault_figures(fault, journal.exchanges, span)
            for fault, span in zip(journal.faults, spans, strict=True)
        ],
        errors=list(journal.errors),
        lost=[list(key) for key in messages.lost],
    )


def buckets(exchanges: list[Exchange], end: float) -> dict[str, list[int]]:
    """Customer requests per BUCKET_SECONDS by when they ended, one list per SERIES label."""
    count = int(end // BUCKET_SECONDS) + 1
    series = {label: [0] * count for label, _ in SERIES}
    kind = {outcome: label for label, outcomes in SERIES for outcome in outcomes}
    for exchange in exchanges:
        if exchange.client == AGENT or exchange.outcome not in kind:
            continue
        index = min(count - 1, max(0, int(exchange.done_at // BUCKET_SECONDS)))
        series[kind[exchange.outcome]][index] += 1
    return series
