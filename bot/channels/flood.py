"""A brake on floods of customer messages: per conversation and per client.

One customer typing fast is fine; a script posting hundreds of messages a minute
would fill the agents' queue and starve everyone else. Each channel asks
`Floodgate.admits(conversation, client)` before handing a message to Rasa.
Counts live in this process's memory, bounded in size (a flood of new keys
evicts the oldest), so a restart forgives everyone.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.sliding_window import Limit, Window

__all__ = ["Floodgate", "Limit", "PER_CLIENT", "PER_CONVERSATION"]

PER_CONVERSATION = Limit(20, 60.0)
PER_CLIENT = Limit(60, 60.0)


class Floodgate:
    """Admits a message unless its conversation or its client sent too many lately."""

    def __init__(
        self,
        per_conversation: Limit = PER_CONVERSATION,
        per_client: Limit = PER_CLIENT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._conversations = Window(per_conversation, clock)
        self._clients = Window(per_client, clock)

    def admits(self, conversation: str, client: str) -> bool:
        """Counts the message and says whether it may go on (refused ones count too)."""
        refused = self._conversations.full(conversation) or self._clients.full(client)
        self._conversations.hit(conversation)
        self._clients.hit(client)
        return not refused
