"""bot/tools/soak/bad_client.py: each case is judged; a 503 is sent again, a wrong status is
an error, and a case that reaches the bot becomes a message to look for."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from aiohttp import web

from bot.tools.soak.bad_client import WRONG_TOKEN, conversation_of, headers_for, send
from bot.tools.soak.bad_input import (
    BACKEND,
    CATALOGUE,
    FORGED,
    NOBODY,
    WRONG,
    BadInput,
    rest,
)
from bot.tools.soak.context import Target
from bot.tools.soak.journal import ANSWERED, BAD_INPUT, REFUSED, RETRIED, UNEXPECTED, Journal
from tests.support.soak import InstantLoad, serving


def test_who_a_case_claims_to_be() -> None:
    load = InstantLoad()
    by_auth = {case.auth: case for case in CATALOGUE}
    assert headers_for(by_auth[BACKEND], load) == {"Authorization": "Bearer backend-token"}
    assert headers_for(by_auth[WRONG], load) == {"Authorization": f"Bearer {WRONG_TOKEN}"}
    assert headers_for(by_auth[NOBODY], load) == {}
    assert headers_for(by_auth[FORGED], load) == {}


def test_the_conversation_a_case_lands_in() -> None:
    [emoji] = [c for c in CATALOGUE if c.name == "emoji only"]
    [widget] = [c for c in CATALOGUE if c.name == "widget: emoji only"]
    assert conversation_of(emoji, "s1-b3", "") == "site-s1-b3"
    assert conversation_of(widget, "", "abc.sig") == "widget-abc"


def run_cases(cases: list[BadInput], statuses: list[int]) -> Journal:
    """Sends `cases` to a stand-in Relay answering `statuses` in turn."""
    answers = iter(statuses)
    seen: list[bytes] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(await request.read())
        status = next(answers)
        body: Any = [{"text": "Sorry, could you say that another way?"}] if status == 200 else {}
        return web.json_response(body, status=status)

    async def scenario() -> Journal:
        async with serving(handler) as url, aiohttp.ClientSession() as session:
            load = InstantLoad(Target(url, "backend-token", "a", "p"), session)
            for number, case in enumerate(cases):
                await send(load, case, number)
            return load.journal

    journal = asyncio.run(scenario())
    assert all(b"@SENDER@" not in body for body in seen)
    return journal


def test_a_503_is_sent_again_and_an_expected_refusal_is_refused() -> None:
    journal = run_cases([rest("empty", "", 400)], [503, 400])
    assert [e.outcome for e in journal.exchanges] == [RETRIED, REFUSED]
    assert journal.messages == [] and journal.errors == []


def test_a_wrong_status_is_an_error() -> None:
    journal = run_cases([rest("empty", "", 400), rest("emoji", "🙂", 200)], [500, 400])
    assert [e.outcome for e in journal.exchanges] == [UNEXPECTED, UNEXPECTED]
    assert len(journal.errors) == 2 and "HTTP 500, expected [400]" in journal.errors[0]


def test_an_odd_but_legitimate_text_is_a_message_to_find_later() -> None:
    journal = run_cases([rest("forged", "/restart", 200)], [200])
    [exchange] = journal.exchanges
    assert (exchange.client, exchange.outcome) == (BAD_INPUT, ANSWERED)
    [message] = journal.messages
    assert (message.conversation, message.stored, message.accepted) == (
        "site-s1-b0",
        "restart",
        True,
    )
