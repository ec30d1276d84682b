"""Hardens a loaded Rasa agent: a conversation store that fails loudly and keeps its database
work off the event loop, a guarded action server.

Called when the server has started (bot/tools/rasa_server.py) and again by the
handoff gate before each message, so an agent loaded later (a model replaced
through the HTTP API) is hardened too. Idempotent and cheap.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from bot.ops import action_fallback
from bot.ops.action_guard import guard
from bot.ops.conversation_store import make_strict
from bot.ops.threaded_tracker_store import offload
from bot.services import Services

logger = logging.getLogger(__name__)


def harden(agent: Any, services: Services) -> None:
    """See the module docstring; Relay's own answers use `services` (tickets, rules)."""
    if agent is None:
        return
    store = getattr(agent, "tracker_store", None)
    if make_strict(store):
        logger.info("the conversation store now fails loudly instead of forgetting")
    if services.settings.tracker_threads and offload(store):
        logger.info("the conversation store's database work now runs in worker threads")
    timeout = services.settings.action_timeout
    if guard(agent, functools.partial(action_fallback.answer, services), timeout):
        logger.info("calls to the action server time out after %g s", timeout)
