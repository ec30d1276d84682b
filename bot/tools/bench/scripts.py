"""What the bench's customers say: the soak's REST scripts, a handoff ending the conversation.

The soak's customers (bot/tools/soak/scripts.py) ask about an order's status (and
prove it with the order's email), delivery costs, store hours and a return, and some
ask for a person. Here nobody answers as the agent, so a conversation that reaches a
person ends with that request: what a customer writes next would go to the queue and
get no answer from the bot, which is right, but the bench would count it as an empty
reply.
"""

from __future__ import annotations

from bot.tools.soak.scripts import REST_SCRIPTS, Script, Step


def ending_at_the_handoff(script: Script) -> Script:
    """`script` up to and including its first request for a person."""
    steps: list[Step] = []
    for step in script.steps:
        steps.append(step)
        if step.person:
            break
    return Script(script.name, tuple(steps))


# Order status, FAQs (delivery cost, store hours), a return, and handoffs.
BENCH_SCRIPTS = tuple(ending_at_the_handoff(script) for script in REST_SCRIPTS)


def pick(count: int | None) -> tuple[Script, ...]:
    """The first `count` scripts (all of them for None).

    Raises:
        ValueError: `count` is below 1.
    """
    if count is None:
        return BENCH_SCRIPTS
    if count < 1:
        raise ValueError("at least one script is needed")
    return BENCH_SCRIPTS[:count]
