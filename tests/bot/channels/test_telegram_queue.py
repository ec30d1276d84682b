"""bot/channels/telegram_queue.py: recorded updates handled once, in order, retried.

A stand-in for Rasa takes each update's text (or raises ConversationUnavailable, as
the handoff gate does when the conversation store can't be read); the inbox is a
real SQLite file, shared by two queues where a test needs two processes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from bot.channels.gate import ConversationUnavailable
from bot.channels.telegram_inbox import utcnow
from bot.channels.telegram_queue import Retries, UpdateQueue
from tests.support.telegram_inbox import handled, inbox_at
from tests.support.waiting import until

FAST = Retries(every=0.02, backoff=0.02, max_backoff=0.1, attempts=4)


class Rasa:
    """Takes updates' texts; a text in `failing` is refused that many times first."""

    def __init__(self, failing: dict[str, int] | None = None, slow: float = 0.0) -> None:
        self.texts: list[str] = []
        self.tried: list[str] = []
        self.failing = dict(failing or {})
        self.slow = slow
        self.taken_at: dict[str, float] = {}  # time.monotonic() when a text was taken

    async def __call__(self, payload: dict[str, Any]) -> None:
        text = payload["message"]["text"]
        self.tried.append(text)
        if text == "boom":
            raise ValueError("not an update we understand")
        if self.failing.get(text, 0) > 0:
            self.failing[text] -= 1
            raise ConversationUnavailable("conversation telegram-1001 unreadable")
        if self.slow and text.startswith("slow"):
            await asyncio.sleep(self.slow)
        self.texts.append(text)
        self.taken_at[text] = time.monotonic()


def update(update_id: int, text: str, chat: int = 1001) -> dict[str, Any]:
    return {"update_id": update_id, "message": {"chat": {"id": chat}, "text": text}}


async def accept(queue: UpdateQueue, *updates: dict[str, Any]) -> list[bool]:
    return [await queue.accept(u["update_id"], str(u["message"]["chat"]["id"]), u) for u in updates]


async def running(*queues: UpdateQueue) -> None:
    """Starts the queues' retry loops, and lets their first round (the start's recovery) pass:
    processes that were already running when the test's updates come."""
    for queue in queues:
        queue.start()
    await asyncio.sleep(0.1)


def test_an_update_is_recorded_before_it_is_handled_and_marked_after(tmp_path: Path) -> None:
    inbox = inbox_at(tmp_path)
    rasa = Rasa()

    async def scenario() -> None:
        queue = UpdateQueue(inbox, rasa, FAST)
        assert await accept(queue, update(1, "hi")) == [True]
        recorded = inbox.get(1)
        assert recorded is not None and recorded.handled_at is None and rasa.texts == []
        await queue.idle()
        assert rasa.texts == ["hi"] and handled(inbox, 1)
        await queue.close()

    asyncio.run(scenario())


def test_a_duplicate_is_not_accepted(tmp_path: Path) -> None:
    inbox = inbox_at(tmp_path)
    rasa = Rasa()

    async def scenario() -> list[bool]:
        queue = UpdateQueue(inbox, rasa, FAST)
        answers = await accept(queue, update(1, "hi"), update(1, "hi"))
        await queue.idle()
        answers += await accept(queue, update(1, "hi"))  # also once handled
        await queue.close()
        return answers

    assert asyncio.run(scenario()) == [True, False, False]
    assert rasa.texts == ["hi"]


def test_an_update_that_cannot_be_recorded_is_not_accepted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = inbox_at(tmp_path)
    rasa = Rasa()

    def down(*args: Any) -> int | None:
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(inbox, "record_in_line", down)

    async def scenario() -> None:
        queue = UpdateQueue(inbox, rasa, FAST)
        with pytest.raises(OperationalError):
            await accept(queue, update(1, "hi"))
        await queue.idle()
        await queue.close()

    asyncio.run(scenario())
    assert rasa.tried == []


def test_a_chats_updates_are_in_order_and_other_chats_do_not_wait(tmp_path: Path) -> None:
    rasa = Rasa(slow=0.2)

    async def scenario() -> None:
        queue = UpdateQueue(inbox_at(tmp_path), rasa, FAST)
        await accept(queue, update(1, "slow first"), update(2, "second"), update(3, "tom", 1002))
        await queue.idle()
        await queue.close()

    asyncio.run(scenario())
    assert rasa.texts == ["tom", "slow first", "second"]


def test_an_update_rasa_cannot_take_is_retried_and_its_chat_waits(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    inbox = inbox_at(tmp_path)
    rasa = Rasa(failing={"first": 2})

    async def scenario() -> None:
        queue = UpdateQueue(inbox, rasa, FAST)
        queue.start()
        await accept(queue, update(1, "first"), update(2, "second"), update(3, "tom", 1002))
        await until(lambda: handled(inbox, 1) and handled(inbox, 2))
        await queue.close()

    with caplog.at_level(logging.WARNING, logger="bot.channels.telegram_queue"):
        asyncio.run(scenario())
    assert rasa.texts == ["tom", "first", "second"]
    assert rasa.tried.count("second") == 1  # it waited behind "first", never tried before it
    first, second = inbox.get(1), inbox.get(2)
    assert first is not None and (first.attempts, first.failure) == (2, None)
    assert second is not None and second.attempts == 0
    assert any("trying again" in record.message for record in caplog.records)


def test_an_update_is_given_up_after_its_attempts(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    inbox = inbox_at(tmp_path)
    rasa = Rasa(failing={"first": 99})

    async def scenario() -> None:
        queue = UpdateQueue(inbox, rasa, FAST)
        queue.start()
        await accept(queue, update(1, "first"), update(2, "second"))
        await until(lambda: handled(inbox, 2))
        await queue.close()

    with caplog.at_level(logging.ERROR, logger="bot.channels.telegram_queue"):
        asyncio.run(scenario())
    assert rasa.tried.count("first") == FAST.attempts
    assert rasa.texts == ["second"]
    first = inbox.get(1)
    assert first is not None and first.handled_at is not None
    assert first.failure == "given up after 4 attempts: conversation telegram-1001 unreadable"
    assert any("given up after 4 attempts" in record.message for record in caplog.records)


def test_a_broken_update_is_given_up_at_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    inbox = inbox_at(tmp_path)
    rasa = Rasa()

    async def scenario() -> None:
        queue = UpdateQueue(inbox, rasa, FAST)
        await accept(queue, update(1, "boom"), update(2, "after"))
        await queue.idle()
        await queue.close()

    with caplog.at_level(logging.ERROR):
        asyncio.run(scenario())
    assert rasa.tried == ["boom", "after"] and rasa.texts == ["after"]
    broken = inbox.get(1)
    assert broken is not None and (broken.failure or "").startswith("could not be handled")
    assert any("could not be handled" in record.message for record in caplog.records)


def test_on_start_what_was_left_unhandled_is_handled_in_order(tmp_path: Path) -> None:
    crashed = inbox_at(tmp_path, clock=lambda: utcnow() - timedelta(minutes=1))
    crashed.record(1, "1001", update(1, "first"))  # its lease ran out with the process
    crashed.record(2, "1001", update(2, "second"))
    crashed.record(3, "1002", update(3, "tom"))
    long_ago = inbox_at(tmp_path, clock=lambda: utcnow() - timedelta(hours=2))
    long_ago.record(4, "1003", update(4, "too old", 1003))
    alive = inbox_at(tmp_path)  # another process, working on an update right now
    alive.record(5, "1004", update(5, "held elsewhere", 1004))
    inbox = inbox_at(tmp_path)
    rasa = Rasa()

    async def scenario() -> None:
        queue = UpdateQueue(inbox, rasa, FAST)
        queue.start()
        await until(lambda: all(handled(inbox, n) for n in (1, 2, 3)))
        # A new update of the chat held elsewhere waits behind the held one...
        await accept(queue, update(6, "after the held one", 1004))
        await asyncio.sleep(0.2)
        assert "after the held one" not in rasa.tried
        alive.handled(5)  # ...until the other process is done with it.
        await until(lambda: handled(inbox, 6))
        await queue.close()

    asyncio.run(scenario())
    assert [text for text in rasa.texts if text in ("first", "second")] == ["first", "second"]
    assert set(rasa.texts) == {"first", "second", "tom", "after the held one"}
    assert not handled(inbox, 4)  # older than an hour: not recovered


def test_an_update_waits_for_the_chats_earlier_one_on_another_process(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rasa = Rasa(slow=0.5)  # both processes' Rasa: one conversation store

    async def scenario() -> None:
        first = UpdateQueue(inbox_at(tmp_path), rasa, FAST)
        second = UpdateQueue(inbox_at(tmp_path), rasa, FAST)
        await running(first, second)
        await accept(first, update(1, "slow first"))  # Telegram sends 2 once 1 is answered
        await accept(second, update(2, "second"), update(3, "tom", 1002))
        await first.idle()
        await second.idle()
        await first.close()
        await second.close()

    with caplog.at_level(logging.INFO, logger="bot.channels.telegram_queue"):
        asyncio.run(scenario())
    assert rasa.texts == ["tom", "slow first", "second"]  # other chats do not wait
    assert rasa.tried.count("second") == 1
    assert not any("waits for the retry" in r.message for r in caplog.records)  # it was polled


def test_an_update_waits_for_the_retry_of_the_chats_earlier_one_on_another_process(
    tmp_path: Path,
) -> None:
    first_inbox, second_inbox = inbox_at(tmp_path), inbox_at(tmp_path)
    rasa = Rasa(failing={"first": 1})
    patient = Retries(every=0.02, backoff=0.4, attempts=4)

    async def scenario() -> None:
        first = UpdateQueue(first_inbox, rasa, patient)
        second = UpdateQueue(second_inbox, rasa, FAST)
        await running(first, second)
        await accept(first, update(1, "first"))
        await first.idle()  # left for a retry in 0.4 s
        await accept(second, update(2, "second"))
        await until(lambda: handled(second_inbox, 1) and handled(second_inbox, 2))
        await first.close()
        await second.close()

    asyncio.run(scenario())
    assert rasa.texts == ["first", "second"]
    assert rasa.tried == ["first", "first", "second"]


def test_a_dead_holder_holds_its_chat_up_until_its_lease_runs_out_not_longer(
    tmp_path: Path,
) -> None:
    lease = timedelta(seconds=0.6)
    dead = inbox_at(tmp_path, lease=lease)
    rasa = Rasa()

    async def scenario() -> float:
        queue = UpdateQueue(inbox_at(tmp_path), rasa, FAST)
        await running(queue)
        dead.record(1, "1001", update(1, "first"))  # and its process died before handling it
        recorded = time.monotonic()
        await accept(queue, update(2, "second"))
        await until(lambda: "second" in rasa.texts)
        await queue.close()
        return recorded

    recorded = asyncio.run(scenario())
    assert rasa.texts == ["first", "second"]  # the retry loop took 1 once its lease ran out
    waited = rasa.taken_at["second"] - recorded
    assert lease.total_seconds() <= waited < lease.total_seconds() + 1.0, waited


def test_an_update_behind_a_long_turn_elsewhere_is_left_to_the_retry_loop(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rasa = Rasa(slow=0.8)
    brief = Retries(every=0.02, backoff=0.02, attempts=4, behind_every=0.02, behind_at_most=0.2)

    async def scenario() -> None:
        first = UpdateQueue(inbox_at(tmp_path), rasa, FAST)
        second = UpdateQueue(inbox_at(tmp_path), rasa, brief)
        await running(first, second)
        await accept(first, update(1, "slow first"))
        await accept(second, update(2, "second"))
        await second.idle()  # gave up waiting after 0.2 s: the update was let go
        assert rasa.texts == []
        await until(lambda: rasa.texts == ["slow first", "second"])
        await first.close()
        await second.close()

    with caplog.at_level(logging.INFO, logger="bot.channels.telegram_queue"):
        asyncio.run(scenario())
    assert rasa.tried.count("second") == 1
    assert any("2 of chat 1001 waits for the retry of [1]" in r.message for r in caplog.records)


def test_an_update_being_worked_on_is_not_taken_by_another_process(tmp_path: Path) -> None:
    lease = timedelta(seconds=0.6)  # renewed every 0.2 s; the answer takes twice as long
    working, watching = inbox_at(tmp_path, lease=lease), inbox_at(tmp_path, lease=lease)
    slow, other = Rasa(slow=1.2), Rasa()

    async def scenario() -> None:
        first = UpdateQueue(working, slow, FAST)
        second = UpdateQueue(watching, other, FAST)
        first.start()
        second.start()
        await accept(first, update(1, "slow answer"))
        await until(lambda: handled(working, 1))
        await asyncio.sleep(0.1)
        await first.close()
        await second.close()

    asyncio.run(scenario())
    assert slow.texts == ["slow answer"] and other.tried == []  # the lease was renewed


def test_a_handled_update_whose_mark_failed_is_marked_later_not_handled_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = inbox_at(tmp_path, lease=timedelta(seconds=0.4))
    rasa = Rasa()
    mark = inbox.handled
    failures = [OperationalError("UPDATE", {}, Exception("database is locked"))]

    def flaky(update_id: int) -> None:
        if failures:
            raise failures.pop()
        mark(update_id)

    monkeypatch.setattr(inbox, "handled", flaky)

    async def scenario() -> None:
        queue = UpdateQueue(inbox, rasa, FAST)
        queue.start()
        await accept(queue, update(1, "hi"))
        await until(lambda: handled(inbox, 1))
        await asyncio.sleep(0.5)  # longer than the lease: still not handled twice
        await queue.close()

    asyncio.run(scenario())
    assert rasa.tried == ["hi"]


def test_the_backoff_doubles_up_to_its_limit() -> None:
    retries = Retries(backoff=2.0, max_backoff=120.0)
    assert [retries.delay(n).total_seconds() for n in range(8)] == [
        2.0,
        4.0,
        8.0,
        16.0,
        32.0,
        64.0,
        120.0,
        120.0,
    ]
