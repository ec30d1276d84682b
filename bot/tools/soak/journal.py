"""What a soak's clients sent and saw: one journal, from which the figures are computed.

Every HTTP exchange a client has with Relay is an `Exchange` with an outcome (the
bot answered, apologised, said nothing, or the request has to be sent again); every
customer message is one `Message` however many times it had to be sent; handoffs,
the agent's replies and the faults have records of their own. Times are seconds
since the load started. Nothing here does I/O.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

ANSWERED = "answered"  # 200 with the bot's words
APOLOGY = "apology"  # 200, but the bot said it couldn't do it (the action server was down)
QUIET = "quiet"  # 200 with nothing while a person has the conversation: expected
EMPTY = "empty"  # 200 with nothing outside a handoff
RETRIED = "retried"  # 503, no connection or no answer in time: sent again later
THROTTLED = "throttled"  # 429: sent again after a pause
REFUSED = "refused"  # the 4xx a bad input is expected to get
UNEXPECTED = "unexpected"  # a status the request should never get (a 500, a wrong 4xx)

OUTCOMES = (ANSWERED, APOLOGY, QUIET, EMPTY, RETRIED, THROTTLED, REFUSED, UNEXPECTED)
SEND_AGAIN = frozenset({RETRIED, THROTTLED})
UNAVAILABLE = 503

REST, WIDGET, BAD_INPUT, AGENT = "rest", "widget", "bad_input", "agent"


def outcome_of(
    status: int | None, texts: list[str], apology: bool = False, in_handoff: bool = False
) -> str:
    """What a customer message's answer means (see the constants above).

    Args:
        status: The HTTP status, None when no answer came (no connection, a timeout).
        texts: The bot's messages in the answer.
        apology: Whether one of them says the bot couldn't do what was asked.
        in_handoff: Whether a person has (or is about to take) the conversation.
    """
    if status is None or status == UNAVAILABLE:
        return RETRIED
    if status == 429:
        return THROTTLED
    if status != 200:
        return UNEXPECTED
    if not texts:
        return QUIET if in_handoff else EMPTY
    if apology:
        return APOLOGY
    return ANSWERED


@dataclass(frozen=True)
class Exchange:
    """One request a client made and what came of it."""

    client: str
    conversation: str
    sent_at: float
    done_at: float
    status: int | None
    outcome: str
    detail: str = ""


@dataclass
class Message:
    """One customer message, however many times it was sent.

    Attributes:
        stored: The text Rasa should keep for it (cleaned, a forged payload read as words);
            None when the message is meant to be refused and kept nowhere.
        accepted: Relay answered it with a 200, so it must be in the conversation.
        given_up: The soak ended before Relay accepted it.
    """

    client: str
    conversation: str
    text: str
    stored: str | None
    first_sent_at: float
    attempts: int = 0
    accepted: bool = False
    given_up: bool = False


@dataclass
class Handoff:
    """A conversation the bot handed to a person (`announced` times: each needs a ticket).

    Attributes:
        resolved_seen: The customer saw the bot come back after the last handoff.
        gave_up: The customer stopped waiting for a person.
    """

    client: str
    conversation: str
    requested_at: float
    announced: int = 0
    resolved_seen: bool = False
    gave_up: bool = False


@dataclass
class AgentReply:
    """What the agent wrote on a ticket, and how many times it had to send it."""

    ticket: int
    conversation: str
    text: str
    sent_at: float
    attempts: int = 1


@dataclass
class FaultRecord:
    """A fault injected during the run.

    Attributes:
        kind: ACTION_SERVER, RASA_SERVER or DATABASE (bot/tools/soak/faults.py).
        started_at: When the server was killed or the database locked.
        restored_at: When the server was started again or the database unlocked.
        ready_after: Seconds from `restored_at` until the server's readiness check passed.
        recovered_at: The first normal answer after the fault (see faults.recovery).
    """

    kind: str
    label: str
    started_at: float
    restored_at: float | None = None
    ready_after: float | None = None
    recovered_at: float | None = None

    @property
    def recovery(self) -> float | None:
        """Seconds from the restart (or unlock) until the first normal answer."""
        if self.restored_at is None or self.recovered_at is None:
            return None
        return max(0.0, self.recovered_at - self.restored_at)


class Journal:
    """Everything the soak's clients did, in order (see the module docstring).

    Args:
        clock: Monotonic seconds; the journal's time 0 is when it was created.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._start = clock()
        self.exchanges: list[Exchange] = []
        self.messages: list[Message] = []
        self.conversations: dict[str, str] = {}  # conversation id -> client kind
        self.handoffs: dict[str, Handoff] = {}
        self.received: dict[str, list[str]] = {}  # what customers fetched from their outbox
        self.agent_replies: list[AgentReply] = []
        self.faults: list[FaultRecord] = []
        self.errors: list[str] = []
        self.poll_failures = 0
        self.stopping = False  # the load is over: clients finish what they started

    def now(self) -> float:
        return self._clock() - self._start

    def conversation(self, conversation: str, client: str) -> None:
        self.conversations.setdefault(conversation, client)

    def message(self, client: str, conversation: str, text: str, stored: str | None) -> Message:
        message = Message(client, conversation, text, stored, self.now())
        self.messages.append(message)
        return message

    def exchange(
        self,
        client: str,
        conversation: str,
        sent_at: float,
        status: int | None,
        outcome: str,
        detail: str = "",
    ) -> Exchange:
        exchange = Exchange(client, conversation, sent_at, self.now(), status, outcome, detail)
        self.exchanges.append(exchange)
        return exchange

    def error(self, text: str) -> None:
        self.errors.append(f"[{self.now():6.1f}s] {text}")

    def handoff(self, client: str, conversation: str) -> Handoff:
        """Notes that the bot announced a handoff in `conversation`."""
        handoff = self.handoffs.setdefault(conversation, Handoff(client, conversation, self.now()))
        handoff.announced += 1
        handoff.resolved_seen = False
        return handoff

    def fetched(self, conversation: str, texts: list[str]) -> None:
        """Notes what a customer fetched from the conversation's outbox."""
        self.received.setdefault(conversation, []).extend(texts)

    def count(self, *outcomes: str) -> int:
        wanted = set(outcomes)
        return sum(1 for exchange in self.exchanges if exchange.outcome in wanted)

    def customer_exchanges(self) -> Iterable[Exchange]:
        """The exchanges that carried a customer's message (not the agent's, not polls)."""
        return (e for e in self.exchanges if e.client != AGENT)
