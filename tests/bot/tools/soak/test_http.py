"""bot/tools/soak/http.py: a request never raises for what a failing server does."""

from __future__ import annotations

import asyncio
import random

import aiohttp
from aiohttp import web

from bot.tools.soak.http import Answer, Backoff, request
from bot.tools.soak.stack import free_port
from tests.support.soak import serving


def test_json_text_and_raw_bytes() -> None:
    seen: list[tuple[str, bytes]] = []

    async def handler(req: web.Request) -> web.Response:
        seen.append((req.content_type, await req.read()))
        if req.path == "/text":
            return web.Response(status=502, text="<html>bad gateway</html>")
        return web.json_response({"ok": True}, status=201)

    async def scenario() -> tuple[Answer, Answer]:
        async with serving(handler) as url, aiohttp.ClientSession() as session:
            first = await request(session, "POST", f"{url}/json", body={"a": 1})
            second = await request(
                session, "POST", f"{url}/text", data=b"\xff", content_type="text/plain"
            )
            return first, second

    first, second = asyncio.run(scenario())
    assert first == Answer(201, {"ok": True}) and first.json_object == {"ok": True}
    assert first.json_list == []
    assert second == Answer(502, "<html>bad gateway</html>")
    assert seen == [("application/json", b'{"a": 1}'), ("text/plain", b"\xff")]


def test_no_server_and_no_answer_in_time_are_answers_too() -> None:
    async def slow(req: web.Request) -> web.Response:
        await asyncio.sleep(0.6)
        return web.json_response([])

    async def scenario() -> tuple[Answer, Answer]:
        async with aiohttp.ClientSession() as session:
            refused = await request(session, "GET", f"http://127.0.0.1:{free_port()}/")
            async with serving(slow) as url:
                late = await request(session, "GET", url, seconds=0.2)
            return refused, late

    refused, late = asyncio.run(scenario())
    assert refused.status is None and "Connect" in (refused.failure or "")
    assert late.status is None and late.failure == "no answer within 0.2 s"


def test_backoff_doubles_up_to_its_most_with_jitter() -> None:
    backoff = Backoff(first=0.5, most=4.0, jitter=0.25, rng=random.Random(1))
    pauses = [backoff.pause() for _ in range(6)]
    for pause, base in zip(pauses, [0.5, 1.0, 2.0, 4.0, 4.0, 4.0], strict=True):
        assert base <= pause <= base * 1.25
    backoff.reset()
    assert backoff.pause() <= 0.5 * 1.25
