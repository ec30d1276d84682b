"""One level of a bench: `level` simulated customers talking to one stack at once.

Each customer holds one conversation at a time over the REST channel, with a sender
id of its own per conversation, and goes through the scripts in turn (customer i
starts at script i). It sends a message, waits for the answer, pauses `think`
seconds, sends the next; when a conversation ends the next starts at once. Nobody
sends a new message after `seconds`: the level ends when the answers on their way
have come (a closed loop, so `level` is the number of conversations in flight).

Every message is a `Turn`. No message is sent again: a timeout, a refused connection
or a status other than 200 is an error, and a 200 without a single message for the
customer is an empty reply.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp

from bot.tools.soak.http import request
from bot.tools.soak.scripts import Script

TURN_SECONDS = 60.0


@dataclass(frozen=True)
class Turn:
    """One message and its answer. Times in seconds since the level started."""

    script: str
    step: int
    sent_at: float
    seconds: float
    status: int | None
    messages: int
    failure: str | None = None

    @property
    def error(self) -> bool:
        return self.status != 200

    @property
    def timed_out(self) -> bool:
        return self.status is None and (self.failure or "").startswith("no answer")

    @property
    def empty(self) -> bool:
        return self.status == 200 and self.messages == 0


@dataclass(frozen=True)
class Channel:
    """Where a stack's REST channel is and how its clients call it.

    Args:
        url: The Rasa server's base URL.
        headers: What every call sends (a backend's token, or nothing).
        sender: The `sender` a client sends for a customer's conversation id.
    """

    url: str
    headers: dict[str, str]
    sender: Callable[[str], str]


@dataclass(frozen=True)
class Plan:
    """What a level does: how many customers, for how long, saying what."""

    level: int  # customers at once
    seconds: float  # after this, nobody sends a new message
    scripts: tuple[Script, ...]  # customer i starts at script i, then takes the next
    run_id: str  # in every sender id, so runs never share a conversation
    think: float = 0.0  # pause after an answer, before the next message
    turn_seconds: float = TURN_SECONDS  # no answer by then: a timeout


@dataclass(frozen=True)
class LevelRun:
    """The turns of one level on one stack, and how long it took until the last answer."""

    turns: tuple[Turn, ...]
    elapsed: float


def customer_id(plan: Plan, customer: int, conversation: int) -> str:
    """A conversation's id, unique per run, level, customer and conversation (16+ chars)."""
    return f"bench-{plan.run_id}-L{plan.level}-c{customer:03d}-n{conversation:04d}"


async def say(
    session: aiohttp.ClientSession,
    channel: Channel,
    plan: Plan,
    script: Script,
    sender: str,
    clock: Callable[[], float],
    turns: list[Turn],
) -> None:
    """One conversation: `script`'s messages in order, stopping when the level's time is up."""
    for index, step in enumerate(script.steps):
        if clock() >= plan.seconds:
            return
        sent_at = clock()
        answer = await request(
            session,
            "POST",
            channel.url,
            body={"sender": sender, "message": step.text},
            headers=channel.headers,
            seconds=plan.turn_seconds,
        )
        replies = [r for r in answer.json_list if isinstance(r, dict)] if answer.status else []
        failure = answer.failure or (None if answer.status == 200 else str(answer.body)[:200])
        turns.append(
            Turn(
                script.name, index, sent_at, clock() - sent_at, answer.status, len(replies), failure
            )
        )
        if plan.think:
            await asyncio.sleep(plan.think)


async def converse(
    session: aiohttp.ClientSession,
    channel: Channel,
    plan: Plan,
    customer: int,
    clock: Callable[[], float],
    turns: list[Turn],
) -> None:
    """One customer's conversations, one after the other, until the level's time is up."""
    conversation = 0
    while clock() < plan.seconds:
        script = plan.scripts[(customer + conversation) % len(plan.scripts)]
        sender = channel.sender(customer_id(plan, customer, conversation))
        await say(session, channel, plan, script, sender, clock, turns)
        conversation += 1


def _clock() -> Callable[[], float]:
    started = time.monotonic()
    return lambda: time.monotonic() - started


async def run_level(session: aiohttp.ClientSession, channel: Channel, plan: Plan) -> LevelRun:
    """Runs `plan.level` customers against `channel` for `plan.seconds`."""
    clock = _clock()
    turns: list[Turn] = []
    await asyncio.gather(
        *(converse(session, channel, plan, i, clock, turns) for i in range(plan.level))
    )
    return LevelRun(tuple(turns), clock())


async def warm_up(session: aiohttp.ClientSession, channel: Channel, plan: Plan) -> LevelRun:
    """Every script once, by one customer, whatever the time: a fresh server's first answers
    are slow (TensorFlow builds its graphs), and they are not what a bench measures."""
    clock = _clock()
    turns: list[Turn] = []
    for number, script in enumerate(plan.scripts):
        sender = channel.sender(customer_id(plan, 999, number) + "-warm")
        await say(session, channel, plan, script, sender, lambda: 0.0, turns)
    return LevelRun(tuple(turns), clock())
