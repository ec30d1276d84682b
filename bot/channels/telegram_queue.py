"""Handling Telegram's recorded updates: each once, a chat's in order, retried while Rasa can't.

The webhook hands every update to `UpdateQueue.accept`, which records it in the inbox
(bot/channels/telegram_inbox.py) before the webhook answers, then handles it in the
background after the same chat's earlier updates, also those that other processes
hold: recording it counts the chat's earlier updates still unhandled, and only when
there are some does the queue look at the inbox again when the update's turn comes in
this process. While another process works on an earlier one, the update waits (looking
every `Retries.behind_every` seconds, for at most `Retries.behind_at_most`); when an
earlier one is left for a retry, was let go, or its holder died (its lease ran out),
the update is let go too, and the retry loop takes the chat's updates in update_id
order. An update is marked handled once Rasa took its message.

When the conversation can't be read (`ConversationUnavailable`) the update stays
unhandled and its chat waits: later updates of that chat are left in the inbox too,
behind it. A retry loop (`start`, when the server starts) looks at the
inbox every few seconds and handles the updates that came due, a chat's in update_id
order, with exponential backoff; after `Retries.attempts` failures an update is given
up (marked handled with its failure, and logged as an error) so it can't loop forever.

The loop's first round also handles what was recorded in the last hour but never
handled (the process crashed or was killed between recording and handling). Every
round renews the leases on the updates this process is working on, so no other
process takes them, and once an hour it forgets updates older than a day.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import math
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot.channels.gate import ConversationUnavailable
from bot.channels.telegram_inbox import Inbox, RecordedUpdate, utcnow

logger = logging.getLogger(__name__)

FORGET_EVERY_SECONDS = 3600.0
CLOSE_SECONDS = 10.0  # on shutdown, how long updates still being handled may take
GAVE_UP = "given up after {attempts} attempts: {error}"
BROKEN = "could not be handled: {error!r}"

Handle = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class Retries:
    """When the queue tries again an update Rasa could not take.

    Attributes:
        every: Seconds between two looks at the inbox for updates that came due.
        backoff: Seconds before an update's first retry (doubled for each failure).
        max_backoff: The longest wait between two attempts, in seconds.
        attempts: How many failed attempts give an update up.
        max_age: Updates recorded longer ago are neither retried nor recovered on start.
        behind_every: Seconds between two looks at the inbox while another process works
            on an earlier update of the same chat.
        behind_at_most: How long an update waits so before it is let go to the retry
            loop (which takes it after the earlier one, however long that takes).
    """

    every: float = 2.0
    backoff: float = 2.0
    max_backoff: float = 120.0
    attempts: int = 10
    max_age: timedelta = timedelta(hours=1)
    behind_every: float = 0.1
    behind_at_most: float = 5.0

    def delay(self, failed: int) -> timedelta:
        """How long to wait after the attempt that follows `failed` earlier failures."""
        return timedelta(seconds=min(self.backoff * 2**failed, self.max_backoff))


def _by_chat(updates: list[RecordedUpdate]) -> dict[str, list[RecordedUpdate]]:
    chats: dict[str, list[RecordedUpdate]] = {}
    for update in updates:
        chats.setdefault(update.chat, []).append(update)
    return chats


class UpdateQueue:
    """Recorded updates handled in the background, in order per chat (module docstring).

    Args:
        inbox: Where updates are recorded; shared by every process of the bot.
        handle: Handles one update's JSON; raises ConversationUnavailable to be retried.
        retries: When to try again.
    """

    def __init__(self, inbox: Inbox, handle: Handle, retries: Retries | None = None) -> None:
        self.inbox = inbox
        self._handle = handle
        self._retries = retries or Retries()
        self._chats: dict[str, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._stalled: set[str] = set()  # chats waiting for an earlier update's retry
        self._held: set[int] = set()  # updates this process works on: their leases are renewed
        self._unmarked: dict[int, str | None] = {}  # handled, but the inbox did not hear of it
        self._loop: asyncio.Task[None] | None = None
        self._renewed = self._forgotten = -math.inf

    async def accept(self, update_id: int, chat: str, payload: dict[str, Any]) -> bool:
        """Records an update and handles it in the background.

        Returns:
            False for a duplicate: the update was recorded before (by any process).

        Raises:
            SQLAlchemyError: It could not be recorded, so it was not accepted.
        """
        self.start()
        behind = await asyncio.to_thread(
            self.inbox.record_in_line, update_id, chat, payload, self._retries.max_age
        )
        if behind is None:
            return False
        self._held.add(update_id)
        update = RecordedUpdate(update_id, chat, payload, received_at=utcnow())
        self._in_order(chat, self._fresh(update, behind > 0))
        return True

    def start(self) -> None:
        """Starts the retry loop, unless it runs; its first round recovers what was left."""
        if self._loop is None or self._loop.done():
            self._loop = asyncio.create_task(self._retrying())

    async def idle(self) -> None:
        """Waits until every update taken so far was handled or left for a retry."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    async def close(self, seconds: float = CLOSE_SECONDS) -> None:
        """Stops retrying, and gives the updates being handled `seconds` to finish.

        What is still unhandled then stays in the inbox for the next start.
        """
        loop, self._loop = self._loop, None
        if loop is not None:
            loop.cancel()
            if loop.get_loop() is asyncio.get_running_loop():
                with contextlib.suppress(asyncio.CancelledError):
                    await loop
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.idle(), seconds)

    # In order, per chat

    def _in_order(self, chat: str, work: Coroutine[Any, Any, None]) -> None:
        """Runs `work` in the background, after the same chat's earlier work."""
        previous = self._chats.get(chat)

        async def run() -> None:
            if previous is not None:
                await asyncio.wait([previous])
            await work

        task = asyncio.create_task(run())
        self._chats[chat] = task
        self._tasks.add(task)
        task.add_done_callback(functools.partial(self._finished, chat))

    def _finished(self, chat: str, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if self._chats.get(chat) is task:
            del self._chats[chat]

    async def _fresh(self, update: RecordedUpdate, behind: bool) -> None:
        """Handles a new update, unless it must wait for a retry of the chat's earlier one.

        `behind`: the chat had earlier updates unhandled when this one was recorded.
        """
        if update.chat in self._stalled or (behind and not await self._turn(update)):
            await self._release(update)  # the retry loop takes it after the chat's earlier one
        else:
            await self._attempt(update)

    async def _turn(self, update: RecordedUpdate) -> bool:
        """Waits while other processes work on the chat's earlier updates.

        This process's own earlier ones are done by now (`_in_order`).

        Returns:
            True once none is left unhandled; False if one waits for a retry (or its
            holder's lease ran out), or others took longer than `behind_at_most`.
        """
        deadline = time.monotonic() + self._retries.behind_at_most
        while True:
            try:
                earlier = await asyncio.to_thread(
                    self.inbox.earlier, update.update_id, update.chat, self._retries.max_age
                )
            except SQLAlchemyError as error:
                logger.warning(
                    "telegram update %s: its chat's earlier updates could not be read (%s): "
                    "left for a retry",
                    update.update_id,
                    error,
                )
                return False
            if not earlier:
                return True
            if not all(before.elsewhere for before in earlier) or time.monotonic() >= deadline:
                logger.info(
                    "telegram update %s of chat %s waits for the retry of %s",
                    update.update_id,
                    update.chat,
                    [before.update_id for before in earlier],
                )
                return False
            await asyncio.sleep(self._retries.behind_every)

    async def _retry(self, updates: list[RecordedUpdate]) -> None:
        for number, update in enumerate(updates):
            if not await self._attempt(update):
                for later in updates[number + 1 :]:
                    await self._release(later)
                return

    # One attempt, and what the inbox learns of it

    async def _attempt(self, update: RecordedUpdate) -> bool:
        """Handles one update; False if it was left for a retry (and its chat waits)."""
        try:
            await self._handle(update.payload)
        except ConversationUnavailable as error:
            return await self._failed(update, error)
        except Exception as error:  # a bad update must not stop the next ones
            logger.exception("telegram update %s could not be handled", update.update_id)
            await self._finish(update, BROKEN.format(error=error))
            return True
        await self._finish(update, None)
        return True

    async def _failed(self, update: RecordedUpdate, error: ConversationUnavailable) -> bool:
        delay = self._retries.delay(update.attempts)
        try:
            attempts = await asyncio.to_thread(self.inbox.failed, update.update_id, delay)
        except SQLAlchemyError as unrecorded:
            logger.error(
                "telegram update %s not handled (%s) and the failure not recorded (%s): "
                "it is retried when its lease runs out",
                update.update_id,
                error,
                unrecorded,
            )
            self._left(update)
            return False
        if attempts >= self._retries.attempts:
            logger.error(
                "telegram update %s of chat %s given up after %d attempts: %s",
                update.update_id,
                update.chat,
                attempts,
                error,
            )
            await self._finish(update, GAVE_UP.format(attempts=attempts, error=error))
            return True
        logger.warning(
            "telegram update %s of chat %s not handled (%s): trying again in %.0f s",
            update.update_id,
            update.chat,
            error,
            delay.total_seconds(),
        )
        self._left(update)
        return False

    def _left(self, update: RecordedUpdate) -> None:
        """Leaves an update for a retry: the inbox has it, and its chat waits for it."""
        self._held.discard(update.update_id)
        self._stalled.add(update.chat)

    async def _finish(self, update: RecordedUpdate, failure: str | None) -> None:
        """Marks an update handled (or given up with `failure`): its chat goes on."""
        self._stalled.discard(update.chat)
        try:
            await self._mark(update.update_id, failure)
        except SQLAlchemyError as error:
            logger.error(
                "telegram update %s was handled but could not be marked so (%s): trying again",
                update.update_id,
                error,
            )
            self._unmarked[update.update_id] = failure  # still held: its lease is renewed

    async def _mark(self, update_id: int, failure: str | None) -> None:
        if failure is None:
            await asyncio.to_thread(self.inbox.handled, update_id)
        else:
            await asyncio.to_thread(self.inbox.give_up, update_id, failure)
        self._held.discard(update_id)
        self._unmarked.pop(update_id, None)

    async def _release(self, update: RecordedUpdate) -> None:
        self._held.discard(update.update_id)
        try:
            await asyncio.to_thread(self.inbox.release, update.update_id)
        except SQLAlchemyError as error:
            logger.warning(
                "telegram update %s not released (%s): it comes due when its lease runs out",
                update.update_id,
                error,
            )

    # The retry loop

    async def _retrying(self) -> None:
        starting = True
        while True:
            try:
                await self._round(starting)
                starting = False
            except SQLAlchemyError as error:
                logger.warning("telegram updates to retry could not be read: %s", error)
            except Exception:  # the loop must go on
                logger.exception("telegram retry round failed")
            await asyncio.sleep(self._retries.every)

    async def _round(self, starting: bool) -> None:
        """Marks, renews and forgets what is due, then takes the due updates of each chat."""
        for update_id, failure in list(self._unmarked.items()):
            await self._mark(update_id, failure)
        now = time.monotonic()
        if self._held and now - self._renewed >= self.inbox.lease.total_seconds() / 3:
            await asyncio.to_thread(self.inbox.renew, set(self._held))
            self._renewed = now
        if now - self._forgotten >= FORGET_EVERY_SECONDS:
            forgotten = await asyncio.to_thread(self.inbox.forget)
            self._forgotten = now
            if forgotten:
                logger.info("forgot %d telegram updates older than a day", forgotten)
        updates = await asyncio.to_thread(self.inbox.unhandled, self._retries.max_age)
        for chat, pending in _by_chat(updates).items():
            first = pending[0]
            if starting and not first.due and not first.mine:
                self._stalled.add(chat)  # held elsewhere (or before a crash): new ones wait
            ready: list[RecordedUpdate] = []
            for update in pending:
                if not update.due or update.update_id in self._held:
                    break
                if not await asyncio.to_thread(self.inbox.claim, update.update_id):
                    break  # another process took it a moment ago
                self._held.add(update.update_id)
                ready.append(update)
            if ready:
                logger.info(
                    "telegram updates %s of chat %s: handling them %s",
                    [update.update_id for update in ready],
                    chat,
                    "left from before the start" if starting else "again",
                )
                self._in_order(chat, self._retry(ready))
