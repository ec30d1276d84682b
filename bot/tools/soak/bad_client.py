"""Sends the bad-input catalogue (bot/tools/soak/bad_input.py) round and round during a soak.

One request every PACE_SECONDS, each judged against the statuses its case allows.
A 503 or no answer means a fault is on: the case is sent again after a backoff like
any client's message. A case that reaches the bot is a message like any other: it
must be in its conversation at the end.
"""

from __future__ import annotations

from bot.tools.soak.bad_input import (
    BACKEND,
    CATALOGUE,
    FORGED,
    FORGED_TOKEN,
    SESSION,
    WRONG,
    BadInput,
)
from bot.tools.soak.context import Load
from bot.tools.soak.customers import WidgetLine
from bot.tools.soak.http import Backoff, request
from bot.tools.soak.journal import BAD_INPUT, REFUSED, RETRIED, UNEXPECTED, outcome_of

PACE_SECONDS = 1.0
WRONG_TOKEN = "not-the-backend-token"


def headers_for(case: BadInput, load: Load) -> dict[str, str]:
    if case.auth == BACKEND:
        return load.target.backend
    if case.auth == WRONG:
        return {"Authorization": f"Bearer {WRONG_TOKEN}"}
    return {}


def conversation_of(case: BadInput, sender: str, token: str) -> str:
    """The conversation a case that reaches the bot lands in."""
    if case.widget:
        return "widget-" + token.split(".", 1)[0]
    return f"site-{sender}"


async def send(load: Load, case: BadInput, number: int) -> None:
    """Sends one case until it gets an answer other than 503 / none, and judges it."""
    journal = load.journal
    sender = f"{load.run_id}-b{number}"
    token = ""
    if case.auth == SESSION:
        line = WidgetLine(load)
        if not await line.open():
            return
        token = line.token
    elif case.auth == FORGED:
        token = FORGED_TOKEN
    conversation = conversation_of(case, sender, token)
    message = None
    if case.reaches_the_bot:
        journal.conversation(conversation, BAD_INPUT)
        message = journal.message(BAD_INPUT, conversation, str(case.text), case.stored)
    backoff = Backoff(rng=load.rng)
    while True:
        sent_at = journal.now()
        if message is not None:
            message.attempts += 1
        answer = await request(
            load.session,
            case.method,
            load.target.url + case.request_path(sender, token),
            data=case.request_body(sender, token),
            content_type=case.content_type,
            headers=headers_for(case, load),
        )
        if answer.status in (None, 503) and not case.accepts(answer.status):
            journal.exchange(BAD_INPUT, conversation, sent_at, answer.status, RETRIED, case.name)
            if load.giving_up():
                if message is not None:
                    message.given_up = True
                journal.error(f"bad input {case.name!r}: gave up ({answer.failure or 503})")
                return
            await load.wait(backoff.pause())
            continue
        break
    if not case.accepts(answer.status):
        outcome = UNEXPECTED
        journal.error(
            f"bad input {case.name!r}: HTTP {answer.status}, expected "
            f"{sorted(case.expected)}: {str(answer.body)[:200]}"
        )
    elif answer.status == 200:
        replies = answer.json_list if not case.widget else answer.json_object.get("messages")
        texts = [r["text"] for r in replies or [] if isinstance(r, dict) and "text" in r]
        outcome = outcome_of(200, texts, load.sentences.apology(texts))
        if message is not None:
            message.accepted = True
    else:
        outcome = REFUSED
    journal.exchange(BAD_INPUT, conversation, sent_at, answer.status, outcome, case.name)


async def bad_inputs(load: Load, catalogue: tuple[BadInput, ...] = CATALOGUE) -> None:
    """The stream: every case in turn, until the load stops."""
    await load.wait(2.0)
    number = 0
    while not load.stopping:
        await send(load, catalogue[number % len(catalogue)], number)
        number += 1
        await load.wait(PACE_SECONDS)
