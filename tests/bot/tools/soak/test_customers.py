"""bot/tools/soak/customers.py: a customer sends again, never drops, and waits for a person.

Driven through a scripted stand-in for the channel (no server), with instant waits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import yaml

from bot.settings import ROOT
from bot.tools.soak.customers import (
    ASK_AGAIN_TIMES,
    MAX_HANDOFFS,
    NO_THANKS_PAYLOAD,
    Customer,
    csat_button,
    payloads_of,
    texts_of,
)
from bot.tools.soak.http import Answer
from bot.tools.soak.journal import (
    ANSWERED,
    APOLOGY,
    QUIET,
    REST,
    RETRIED,
    UNEXPECTED,
)
from bot.tools.soak.scripts import STILL_THERE, script
from tests.support.soak import InstantLoad

RESPONSES = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]
CSAT = '/inform{"csat_score": "5"}'


def said(name: str, **values: Any) -> str:
    return str(RESPONSES[name][0]["text"]).format(**values)


def ok(*texts: str, buttons: list[str] | None = None) -> Answer:
    replies: list[dict[str, Any]] = [{"text": text} for text in texts]
    if buttons:
        replies[-1]["buttons"] = [{"title": b, "payload": b} for b in buttons]
    return Answer(200, replies)


def load() -> InstantLoad:
    return InstantLoad()


class FakeLine:
    """A channel whose answers are scripted: `answer(text)` and a queue of pushed batches."""

    kind = REST
    conversation = "site-fake"

    def __init__(
        self, answer: Callable[[str], Answer], pushes: list[list[dict[str, Any]]] | None = None
    ) -> None:
        self._answer = answer
        self._pushes = list(pushes or [])
        self.sent: list[tuple[str, bool]] = []
        self.next_id = 0

    async def open(self) -> bool:
        return True

    async def send(self, text: str, button: bool) -> Answer:
        self.sent.append((text, button))
        return self._answer(text)

    def replies(self, answer: Answer) -> list[dict[str, Any]]:
        return [r for r in answer.json_list if isinstance(r, dict)]

    async def pushed(self, after: int) -> tuple[list[dict[str, Any]], int] | None:
        batch = self._pushes.pop(0) if self._pushes else []
        for message in batch:
            self.next_id += 1
            message.setdefault("id", self.next_id)
        return batch, self.next_id


def test_helpers_read_texts_buttons_and_the_survey_button() -> None:
    replies = [{"text": "a"}, {"image": "x"}, {"text": "b", "buttons": [{"payload": CSAT}]}]
    assert texts_of(replies) == ["a", "b"]
    assert payloads_of(replies) == frozenset({CSAT})
    assert csat_button(frozenset({CSAT, "/deny"})) == CSAT
    assert csat_button(frozenset({"/deny"})) is None


def test_no_answer_and_503_are_sent_again_until_accepted_once() -> None:
    answers = iter([Answer(None, failure="refused"), Answer(503, {"error": "x"}), ok("Hi!")])
    line = FakeLine(lambda text: next(answers))
    the_load = load()
    replies = asyncio.run(Customer(the_load, line).say("hi"))
    assert replies == [{"text": "Hi!"}]
    [message] = the_load.journal.messages
    assert (message.attempts, message.accepted, message.stored) == (3, True, "hi")
    outcomes = [e.outcome for e in the_load.journal.exchanges]
    assert outcomes == [RETRIED, RETRIED, ANSWERED]
    assert line.sent == [("hi", False)] * 3


def test_a_refused_message_is_an_error_not_a_retry() -> None:
    the_load = load()
    line = FakeLine(lambda text: Answer(400, {"error": "bad"}))
    assert asyncio.run(Customer(the_load, line).say("hi")) == []
    assert [e.outcome for e in the_load.journal.exchanges] == [UNEXPECTED]
    assert len(the_load.journal.errors) == 1 and not the_load.journal.messages[0].accepted


def test_once_the_drain_is_over_an_unaccepted_message_is_given_up() -> None:
    the_load = load()
    the_load.stop(drain_seconds=0)
    line = FakeLine(lambda text: Answer(None, failure="refused"))
    assert asyncio.run(Customer(the_load, line).say("hi")) is None
    assert the_load.journal.messages[0].given_up
    assert "gave up" in the_load.journal.errors[0]


def test_an_apology_is_asked_again_a_few_times() -> None:
    the_load = load()
    line = FakeLine(lambda text: ok(said("utter_action_server_down")))
    asyncio.run(Customer(the_load, line).run(script("x", "where is my order?", then="bye")))
    asked = [text for text, _ in line.sent]
    assert asked == ["where is my order?"] * (ASK_AGAIN_TIMES + 1) + ["bye"] * (ASK_AGAIN_TIMES + 1)
    assert {e.outcome for e in the_load.journal.exchanges} == {APOLOGY}


def test_a_handoff_waits_for_the_agent_then_answers_the_survey() -> None:
    queued = said("utter_handoff_queued", position=1, minutes=6)

    def answer(text: str) -> Answer:
        if text == "a person please":
            return ok(queued)
        if text == STILL_THERE:
            return ok()  # paused: the bot is quiet
        if text == CSAT:
            return ok("Thanks! A comment?", buttons=[NO_THANKS_PAYLOAD])
        return ok("Glad to help.")

    pushes = [
        [],
        [{"text": said("utter_agent_joined", agent="Sam")}],
        [],
        [{"text": "Hello, this is Sam (ticket 1)."}],
        [],
        [
            {"text": said("utter_handoff_resolved")},
            {"text": "How did we do?", "buttons": [{"title": "5", "payload": CSAT}]},
        ],
    ]
    the_load = load()
    line = FakeLine(answer, pushes)
    asyncio.run(Customer(the_load, line).run(script("x", person="a person please", then="bye")))
    journal = the_load.journal
    handoff = journal.handoffs["site-fake"]
    assert handoff.announced == 1 and handoff.resolved_seen and not handoff.gave_up
    assert "Hello, this is Sam (ticket 1)." in journal.received["site-fake"]
    assert [text for text, _ in line.sent] == [
        "a person please",
        STILL_THERE,
        CSAT,
        NO_THANKS_PAYLOAD,
        "bye",
    ]
    assert line.sent[2] == (CSAT, True)  # pressed the survey's button
    by_text = {m.text: m for m in journal.messages}
    assert by_text[CSAT].stored == CSAT  # an offered payload is kept as it is
    quiet = [e for e in journal.exchanges if e.outcome == QUIET]
    assert len(quiet) == 1  # "are you still there?" while a person had the case


def test_an_apology_in_the_outbox_ends_the_wait_without_a_survey() -> None:
    # An agent who resolves while the action server is down brings the bot back this way.
    def answer(text: str) -> Answer:
        if text == "a person please":
            return ok(said("utter_handoff_queued_no_agents", position=1))
        return ok() if text == STILL_THERE else ok("bye!")

    pushes = [[{"text": "Hello from Sam"}], [{"text": said("utter_action_server_down")}]]
    the_load = load()
    line = FakeLine(answer, pushes)
    asyncio.run(Customer(the_load, line).run(script("x", person="a person please", then="bye")))
    assert the_load.journal.handoffs["site-fake"].resolved_seen
    assert [text for text, _ in line.sent] == ["a person please", "bye"]


def test_a_second_handoff_in_the_survey_is_waited_through_too() -> None:
    down_handoff = said("utter_action_server_down_handoff")
    scores: list[str] = []

    def answer(text: str) -> Answer:
        if text == "a person please":
            return ok(said("utter_handoff_queued", position=1, minutes=6))
        if text == "5":
            scores.append(text)
            if len(scores) == 1:
                return ok(down_handoff)  # the survey failed and handed over again
            return ok("Thanks for rating us.")
        return ok()

    pushes = [
        [{"text": said("utter_handoff_resolved")}],
        [],  # the survey's question: none came
        [{"text": said("utter_handoff_resolved")}],
        [],
    ]
    the_load = load()
    line = FakeLine(answer, pushes)
    asyncio.run(Customer(the_load, line).run(script("x", person="a person please", then="bye")))
    handoff = the_load.journal.handoffs["site-fake"]
    assert handoff.announced == 2 and handoff.resolved_seen and not handoff.gave_up
    assert [text for text, _ in line.sent] == ["a person please", "5", "5", "no thanks", "bye"]


def test_past_the_most_handoffs_the_customer_still_waits_for_the_person_but_skips_the_survey() -> (
    None
):
    queued = said("utter_handoff_queued", position=1, minutes=6)

    def answer(text: str) -> Answer:
        if text == "a person please":
            return ok(queued)
        if text == "5":  # every survey hands over again
            return ok(said("utter_action_server_down_handoff"))
        return ok()

    pushes = [[{"text": said("utter_handoff_resolved")}], []] * (MAX_HANDOFFS + 2)
    the_load = load()
    line = FakeLine(answer, pushes)
    asyncio.run(Customer(the_load, line).run(script("x", person="a person please", then="bye")))
    handoff = the_load.journal.handoffs["site-fake"]
    assert handoff.announced == MAX_HANDOFFS + 1  # the last one is waited through, unrated
    resolved = the_load.journal.received["site-fake"].count(said("utter_handoff_resolved"))
    assert resolved == MAX_HANDOFFS + 1
    assert handoff.resolved_seen and not handoff.gave_up
    assert [text for text, _ in line.sent].count("5") == MAX_HANDOFFS
    assert line.sent[-1] == ("bye", False)


def test_the_survey_button_comes_from_the_latest_question_not_an_older_one() -> None:
    def answer(text: str) -> Answer:
        if text == "a person please":
            return ok(said("utter_handoff_queued", position=1, minutes=6))
        return ok()

    pushes = [
        [{"text": "Old survey", "buttons": [{"title": "5", "payload": CSAT}]}],
        [{"text": said("utter_handoff_resolved")}],
        [{"text": "Anything to add?", "buttons": [{"title": "No thanks", "payload": "/deny"}]}],
    ]
    the_load = load()
    line = FakeLine(answer, pushes)
    asyncio.run(Customer(the_load, line).run(script("x", person="a person please", then="bye")))
    assert (CSAT, True) not in line.sent  # the old rating button is not pressed again
