"""The soak's customers: scripted conversations on the REST channel and the widget.

A customer sends each message of a script, waits for the answer and "thinks" for a
moment before the next. A message that gets no answer (no connection, no answer
in time) or a 503 is sent again after a backoff, never dropped, as a real client
would; a 429 waits longer. When the bot apologises that it couldn't do something,
the customer asks again a little later. When the bot hands the conversation to a
person, the customer polls its outbox (REST `GET /webhooks/rest/messages`, the
widget's `/updates`) for the agent's words until the agent resolves the case, then
answers the satisfaction survey and goes on with the script.
"""

from __future__ import annotations

from typing import Any, Protocol
from urllib.parse import quote

from bot.tools.soak.context import Load
from bot.tools.soak.http import Answer, Backoff, request
from bot.tools.soak.journal import (
    REST,
    THROTTLED,
    UNEXPECTED,
    WIDGET,
    Journal,
    outcome_of,
)
from bot.tools.soak.scripts import (
    CSAT_SCORE,
    NO_COMMENT,
    REST_SCRIPTS,
    STILL_THERE,
    WIDGET_SCRIPTS,
    Script,
)
from bot.tools.soak.sentences import stored_as

THINK_SECONDS = {REST: (1.0, 2.5), WIDGET: (2.5, 5.0)}
THROTTLED_SECONDS = 15.0
ASK_AGAIN_SECONDS = (3.0, 6.0)
ASK_AGAIN_TIMES = 3
POLL_SECONDS = 2.0
STILL_THERE_AFTER = 4.0  # seconds into a handoff
HANDOFF_SECONDS = 300.0  # longest a customer waits for a person (a Rasa restart included)
MAX_HANDOFFS = 4  # handoffs a customer waits through in one conversation
CSAT_PAYLOAD = "csat_score"
NO_THANKS_PAYLOAD = "/deny"


def texts_of(replies: list[dict[str, Any]]) -> list[str]:
    return [reply["text"] for reply in replies if isinstance(reply.get("text"), str)]


def payloads_of(replies: list[dict[str, Any]]) -> frozenset[str]:
    """The payloads of the buttons in `replies`."""
    found = set()
    for reply in replies:
        for button in reply.get("buttons") or []:
            if isinstance(button, dict) and isinstance(button.get("payload"), str):
                found.add(button["payload"])
    return frozenset(found)


def csat_button(payloads: frozenset[str], score: str = CSAT_SCORE) -> str | None:
    """The survey's button for `score`, if the bot offered it."""
    for payload in sorted(payloads):
        if CSAT_PAYLOAD in payload and f'"{score}"' in payload:
            return payload
    return None


class Line(Protocol):
    """A channel as a customer uses it."""

    kind: str
    conversation: str

    async def open(self) -> bool: ...

    async def send(self, text: str, button: bool) -> Answer: ...

    def replies(self, answer: Answer) -> list[dict[str, Any]]: ...

    async def pushed(self, after: int) -> tuple[list[dict[str, Any]], int] | None: ...


class RestLine:
    """The REST channel as the shop's backend uses it: its token, senders are customers."""

    kind = REST

    def __init__(self, load: Load, sender: str) -> None:
        self._load = load
        self.sender = sender
        self.conversation = f"site-{sender}"

    async def open(self) -> bool:
        return True

    async def send(self, text: str, button: bool) -> Answer:
        return await request(
            self._load.session,
            "POST",
            f"{self._load.target.url}/webhooks/rest/webhook",
            body={"sender": self.sender, "message": text},
            headers=self._load.target.backend,
        )

    def replies(self, answer: Answer) -> list[dict[str, Any]]:
        return [r for r in answer.json_list if isinstance(r, dict)]

    async def pushed(self, after: int) -> tuple[list[dict[str, Any]], int] | None:
        answer = await request(
            self._load.session,
            "GET",
            f"{self._load.target.url}/webhooks/rest/messages"
            f"?sender={quote(self.sender)}&after={after}",
            headers=self._load.target.backend,
        )
        if answer.status != 200:
            return None
        messages = [m for m in answer.json_object.get("messages") or [] if isinstance(m, dict)]
        return messages, max([after, *(int(m.get("id") or 0) for m in messages)])


class WidgetLine:
    """The website widget, as its script talks to Relay (POST as text/plain, no preflight)."""

    kind = WIDGET

    def __init__(self, load: Load) -> None:
        self._load = load
        self.token = ""
        self.conversation = ""

    async def open(self) -> bool:
        """Gets a session (sent again while Relay is unavailable)."""
        backoff = Backoff(rng=self._load.rng)
        while not self._load.giving_up():
            answer = await request(
                self._load.session,
                "POST",
                f"{self._load.target.url}/webhooks/widget/session",
                data=b"{}",
                content_type="text/plain",
            )
            token = answer.json_object.get("token")
            if answer.status == 200 and isinstance(token, str):
                self.token = token
                self.conversation = "widget-" + token.split(".", 1)[0]
                return True
            if answer.status not in (None, 503):
                self._load.journal.error(f"widget: no session: {answer.status} {answer.body}")
                return False
            await self._load.wait(backoff.pause())
        return False

    async def send(self, text: str, button: bool) -> Answer:
        body = {"token": self.token, "payload" if button else "text": text}
        return await request(
            self._load.session,
            "POST",
            f"{self._load.target.url}/webhooks/widget/message",
            body=body,
            content_type="text/plain",
        )

    def replies(self, answer: Answer) -> list[dict[str, Any]]:
        return [m for m in answer.json_object.get("messages") or [] if isinstance(m, dict)]

    async def pushed(self, after: int) -> tuple[list[dict[str, Any]], int] | None:
        answer = await request(
            self._load.session,
            "GET",
            f"{self._load.target.url}/webhooks/widget/updates"
            f"?token={quote(self.token)}&after={after}",
        )
        if answer.status != 200:
            return None
        body = answer.json_object
        messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
        return messages, int(body.get("after") or after)


class Customer:
    """One customer working through one script on one line (see the module docstring)."""

    def __init__(self, load: Load, line: Line) -> None:
        self._load = load
        self.line = line
        self.in_handoff = False
        self.handed_over = False  # the bot just announced a handoff: wait for the person
        self.after = 0
        self.offered: frozenset[str] = frozenset()  # every button offered so far
        self.latest: frozenset[str] = frozenset()  # the buttons of the latest question

    @property
    def _journal(self) -> Journal:
        return self._load.journal

    async def run(self, script: Script) -> None:
        if not await self.line.open():
            return
        self._journal.conversation(self.line.conversation, self.line.kind)
        for index, step in enumerate(script.steps):
            if index and self._load.stopping:
                break  # the customer leaves; a handoff in progress was finished above
            replies = await self._ask(step.text)
            if replies is None:
                break
            await self._load.pause(*THINK_SECONDS[self.line.kind])
        if self.line.conversation in self._journal.handoffs:
            await self.fetch()  # anything the team sent after the customer stopped waiting

    async def _ask(self, text: str) -> list[dict[str, Any]] | None:
        """Says `text`, again after an apology; waits for a person if the bot hands over."""
        for _ in range(ASK_AGAIN_TIMES + 1):
            replies = await self.say(text)
            if replies is None:
                return None
            texts = texts_of(replies)
            if self.handed_over:
                await self.wait_for_a_person()
                return replies
            if not self._load.sentences.apology(texts) or self._load.stopping:
                return replies
            await self._load.pause(*ASK_AGAIN_SECONDS)
        return replies

    async def fetch(self) -> list[dict[str, Any]] | None:
        """What was pushed to the conversation since the last fetch (None: no answer)."""
        got = await self.line.pushed(self.after)
        if got is None:
            self._journal.poll_failures += 1
            return None
        messages, self.after = got
        self._journal.fetched(self.line.conversation, texts_of(messages))
        self._offer(messages)
        return messages

    def _offer(self, messages: list[dict[str, Any]]) -> None:
        payloads = payloads_of(messages)
        self.offered = self.offered | payloads
        if payloads:
            self.latest = payloads

    async def say(self, text: str, button: bool = False) -> list[dict[str, Any]] | None:
        """Sends `text` until Relay accepts it; the bot's replies, or None if the soak ended."""
        journal = self._journal
        offered = self.offered if button else frozenset()
        message = journal.message(self.line.kind, self.line.conversation, text, None)
        message.stored = stored_as(text, offered)
        backoff = Backoff(rng=self._load.rng)
        while True:
            message.attempts += 1
            sent_at = journal.now()
            answer = await self.line.send(text, button)
            replies = self.line.replies(answer) if answer.status == 200 else []
            texts = texts_of(replies)
            apology = self._load.sentences.apology(texts)
            outcome = outcome_of(answer.status, texts, apology, self.in_handoff)
            detail = answer.failure or ""
            if outcome == UNEXPECTED:
                detail = f"{text[:60]!r}: {str(answer.body)[:200]}"
                journal.error(f"{self.line.conversation}: HTTP {answer.status} for {detail}")
            journal.exchange(
                self.line.kind, self.line.conversation, sent_at, answer.status, outcome, detail
            )
            if answer.status == 200:
                message.accepted = True
                self._offer(replies)
                if self._load.sentences.handoff(texts):
                    journal.handoff(self.line.kind, self.line.conversation)
                    self.handed_over = True
                return replies
            if answer.status is not None and 400 <= answer.status < 500 and outcome != THROTTLED:
                return []  # refused: it is not in the conversation, and an error was noted
            if self._load.giving_up():
                message.given_up = True
                journal.error(
                    f"{self.line.conversation}: gave up on {text[:60]!r} after "
                    f"{message.attempts} attempts ({answer.status or answer.failure})"
                )
                return None
            pause = THROTTLED_SECONDS if outcome == THROTTLED else backoff.pause()
            await self._load.wait(pause)

    async def wait_for_a_person(self) -> None:
        """Polls the outbox until the bot is back (the agent resolved the case), then
        answers the satisfaction survey.

        The bot is back when the outbox says so, or says sorry (an agent who resolves a
        case while the action server is down brings the bot back with an apology), or
        when the bot answers what the customer wrote meanwhile.
        """
        journal = self._journal
        handoff = journal.handoffs[self.line.conversation]
        sentences = self._load.sentences
        self.handed_over = False
        self.in_handoff = True
        started = journal.now()
        asked = False
        surveyed = True
        while True:
            messages = await self.fetch()
            texts = texts_of(messages or [])
            if sentences.back_with_the_bot(texts) or sentences.apology(texts):
                surveyed = sentences.back_with_the_bot(texts)
                break
            waited = journal.now() - started
            if not asked and waited >= STILL_THERE_AFTER:
                asked = True
                replies = await self.say(STILL_THERE)
                if replies is None:
                    break
                answer = texts_of(replies)
                if self.handed_over:  # back, and handed over again at once
                    self.handed_over = False
                    started, asked = journal.now(), False
                elif answer:  # the bot answered: the case was closed meanwhile
                    await self.fetch()
                    surveyed = False
                    break
            if waited >= HANDOFF_SECONDS or self._load.giving_up():
                handoff.gave_up = True
                journal.error(
                    f"{self.line.conversation}: no agent resolved the case after {waited:.0f} s"
                )
                self.in_handoff = False
                return
            await self._load.wait(POLL_SECONDS)
        handoff.resolved_seen = True
        self.in_handoff = False
        if surveyed and handoff.announced <= MAX_HANDOFFS:
            await self._survey()  # after that many handoffs, the customer just moves on
        if self.handed_over:
            await self.wait_for_a_person()  # the survey's answers were handed over again

    async def _survey(self) -> None:
        """Rates the help 5 (the survey's button, if it came) and declines to comment."""
        await self._load.wait(0.5)  # the survey's question may follow the "resolved" message
        await self.fetch()
        button = csat_button(self.latest)
        replies = await self.say(button or CSAT_SCORE, button=button is not None)
        if replies is None or self.handed_over:
            return
        if NO_THANKS_PAYLOAD in payloads_of(replies):
            await self.say(NO_THANKS_PAYLOAD, button=True)
        else:
            await self.say(NO_COMMENT)


async def rest_customers(load: Load, index: int) -> None:
    """Worker `index`: one REST conversation after another until the load stops."""
    await load.wait(index * 0.7)  # don't all start in the same second
    number = 0
    while not load.stopping:
        script = REST_SCRIPTS[(index + number) % len(REST_SCRIPTS)]
        line = RestLine(load, f"{load.run_id}-r{index}-{number}")
        await Customer(load, line).run(script)
        number += 1


async def widget_visitors(load: Load, index: int) -> None:
    """Worker `index`: one widget session after another until the load stops."""
    await load.wait(1.5 + index * 1.3)
    number = 0
    while not load.stopping:
        script = WIDGET_SCRIPTS[(index + number) % len(WIDGET_SCRIPTS)]
        await Customer(load, WidgetLine(load)).run(script)
        number += 1
