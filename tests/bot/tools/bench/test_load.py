"""bot/tools/bench/load.py: customers in a closed loop against a stand-in REST channel."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from aiohttp import web

from bot.tools.bench.load import Channel, LevelRun, Plan, customer_id, run_level, warm_up
from bot.tools.bench.scripts import ending_at_the_handoff
from bot.tools.soak.scripts import script
from tests.support.soak import serving

SCRIPTS = (
    script("one", "hi", "hours?"),
    ending_at_the_handoff(script("two", "hello", person="a person")),
)
TEXTS = [[step.text for step in s.steps] for s in SCRIPTS]


def stand_in(seen: list[dict[str, Any]], reply: Any = None, status: int = 200) -> Any:
    async def handler(request: web.Request) -> web.Response:
        body = await request.json()
        seen.append({**body, "auth": request.headers.get("Authorization")})
        if body["message"] == "slow":
            await asyncio.sleep(5)
        answer = [{"text": "ok"}] if reply is None else reply
        return web.json_response(answer, status=status)

    return handler


def level(plan: Plan, seen: list[dict[str, Any]], **options: Any) -> LevelRun:
    async def scenario() -> LevelRun:
        async with serving(stand_in(seen, **options)) as url, aiohttp.ClientSession() as session:
            channel = Channel(url + "/webhook", {"Authorization": "Bearer t"}, lambda c: "p-" + c)
            return await run_level(session, channel, plan)

    return asyncio.run(scenario())


def test_customer_ids_are_long_enough_for_an_anonymous_rest_channel() -> None:
    plan = Plan(1, 1.0, SCRIPTS, "ab12cd")
    assert customer_id(plan, 3, 12) == "bench-ab12cd-L1-c003-n0012"
    assert len(customer_id(plan, 0, 0)) >= 16


def test_customers_talk_in_a_closed_loop_until_the_time_is_up() -> None:
    seen: list[dict[str, Any]] = []
    run = level(Plan(3, 0.5, SCRIPTS, "r1"), seen)
    assert run.elapsed >= 0.5
    assert len(run.turns) == len(seen) > 6
    assert all(t.status == 200 and t.messages == 1 and not t.error for t in run.turns)
    assert all(s["auth"] == "Bearer t" and s["sender"].startswith("p-bench-r1-L3-") for s in seen)
    # Customer 1 starts with the second script; each conversation has a sender of its own.
    first = [s for s in seen if s["sender"] == "p-bench-r1-L3-c001-n0000"]
    assert [s["message"] for s in first] == ["hello", "a person"]
    by_sender: dict[str, list[str]] = {}
    for s in seen:
        by_sender.setdefault(s["sender"], []).append(s["message"])
    # Every conversation is one script, said in order (the last ones cut short by the time).
    assert all(any(texts[: len(m)] == m for texts in TEXTS) for m in by_sender.values())
    assert {t.script for t in run.turns} == {"one", "two"}


def test_an_answer_without_a_message_is_empty_and_a_500_an_error() -> None:
    empty = level(Plan(1, 0.2, SCRIPTS[:1], "r2"), [], reply=[])
    assert empty.turns and all(t.empty and not t.error for t in empty.turns)
    failed = level(Plan(1, 0.2, SCRIPTS[:1], "r3"), [], reply={"error": "boom"}, status=500)
    assert failed.turns and all(t.error and not t.timed_out for t in failed.turns)
    assert failed.turns[0].failure == "{'error': 'boom'}"


def test_no_answer_in_time_is_a_timeout() -> None:
    slow = (script("slow", "slow"),)
    run = level(Plan(1, 0.1, slow, "r4", turn_seconds=0.3), [])
    assert len(run.turns) == 1 and run.turns[0].timed_out and run.turns[0].error


def test_the_warm_up_says_every_script_once_whatever_the_time() -> None:
    seen: list[dict[str, Any]] = []

    async def scenario() -> LevelRun:
        async with serving(stand_in(seen)) as url, aiohttp.ClientSession() as session:
            return await warm_up(session, Channel(url, {}, str), Plan(1, 0.001, SCRIPTS, "w"))

    run = asyncio.run(scenario())
    assert [s["message"] for s in seen] == ["hi", "hours?", "thanks, bye", "hello", "a person"]
    assert len(run.turns) == 5 and len({s["sender"] for s in seen}) == 2
