"""Hardens a loaded Rasa agent: a conversation store that fails loudly, a guarded action server.

Called when the server has started (bot/tools/rasa_server.py) and again by the
handoff gate before each message, so an agent loaded later (a model replaced
through the HTTP API) is hardened too. Idempotent and cheap.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.handoff import runtime
from bot.ops import action_fallback
from bot.ops.action_guard import guard
from bot.ops.conversation_store import make_strict

logger = logging.getLogger(__name__)


def harden(agent: Any) -> None:
    """See the module docstring."""
    if agent is None:
        return
    if make_strict(getattr(agent, "tracker_store", None)):
        logger.info("the conversation store now fails loudly instead of forgetting")
    if guard(agent, action_fallback.answer, runtime.settings().action_timeout):
        logger.info(
            "calls to the action server time out after %g s", runtime.settings().action_timeout
        )
