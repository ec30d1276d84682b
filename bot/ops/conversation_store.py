"""The conversation store fails loudly: never an answer as if the customer were new.

Rasa wraps every tracker store in a FailSafeTrackerStore that, when the database
fails, answers from an empty conversation and saves into memory: the customer would
be greeted as a stranger, a paused conversation would wake up, and everything said
meanwhile would vanish at the next restart. `make_strict` turns that fallback into
an exception, `ConversationStoreDown`, which the channels answer with an apology and
a status the client retries on (bot/channels/gate.py).
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.core.tracker_store import FailSafeTrackerStore

logger = logging.getLogger(__name__)


class ConversationStoreDown(Exception):
    """The conversation store could not be read or written."""


def _refuse(error: Exception) -> None:
    logger.error("the conversation store failed: %s", error)
    raise ConversationStoreDown(str(error)) from error


def make_strict(store: Any) -> bool:
    """Makes Rasa's fail-safe wrapper raise instead of falling back; True if it changed."""
    if not isinstance(store, FailSafeTrackerStore):
        return False
    if getattr(store, "_on_tracker_store_error", None) is _refuse:
        return False
    # The wrapper calls this on every failure before falling back; raising stops it.
    store._on_tracker_store_error = _refuse
    return True
