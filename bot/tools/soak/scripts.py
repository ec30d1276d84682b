"""What the soak's customers say: short scripts of real questions, some asking for a person.

The REST customers are the shop's signed-in website customers (their orders are
still proven with the order's email, since these website ids are new to the shop);
the widget visitors ask what a visitor asks without an order number, since every
widget session on loopback is one client and visitors' order look-ups are limited
per client. A step marked `person` asks for a person: when the bot hands over, the
customer waits for the agent in the outbox (bot/tools/soak/customers.py).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    text: str
    person: bool = False  # asks for a person


@dataclass(frozen=True)
class Script:
    name: str
    steps: tuple[Step, ...]

    @property
    def asks_for_a_person(self) -> bool:
        return any(step.person for step in self.steps)


def script(name: str, *texts: str, person: str | None = None, then: str = "thanks, bye") -> Script:
    """A script of `texts`, then a request for a person (if given), then `then`."""
    steps = [Step(text) for text in texts]
    if person is not None:
        steps.append(Step(person, person=True))
    steps.append(Step(then))
    return Script(name, tuple(steps))


REST_SCRIPTS = (
    script("order status", "hi", "where is my order 100260?", "tom.becker@example.org"),
    script(
        "order, then a person",
        "hello",
        "where is order 100205?",
        "daniel.kim@example.com",
        person="I'd like to talk to someone about it",
    ),
    script("delivery cost", "hello", "how much is delivery?", "do you ship to france?"),
    script("store hours", "hi there", "what are your opening hours?", "is the london store open?"),
    script(
        "a return",
        "hi",
        "I'd like to return something",
        "100198",
        "maya.patel@example.com",
        "the fleece hoodie",
        "it doesn't fit",
        then="thanks",
    ),
    script("a person", "hello", person="can I speak to a human please"),
)

WIDGET_SCRIPTS = (
    script("delivery cost", "hi", "how much is shipping to germany?", then="thanks"),
    script("store hours", "hello", "what time do you open on saturday?", then="thank you"),
    script("a person", "hi", person="I want to talk to a person"),
)

# What a customer waiting for a person writes meanwhile (the bot must stay quiet).
STILL_THERE = "are you still there?"
# The satisfaction survey after the agent resolved the case.
CSAT_SCORE = "5"
NO_COMMENT = "no thanks"
