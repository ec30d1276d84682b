"""Turns a failure of the shop's database into a polite answer instead of silence."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.shop import services

logger = logging.getLogger(__name__)

Run = TypeVar("Run", bound=Callable[..., Awaitable[list[dict[str, Any]]]])


def answers_shop_errors(run: Run) -> Run:
    """Decorates an action's `run`: a database error is logged and the customer told why."""

    @functools.wraps(run)
    async def guarded(
        self: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        try:
            return await run(self, dispatcher, tracker, domain)
        except SQLAlchemyError:
            logger.exception(
                "shop database error in %s for conversation %s", self.name(), tracker.sender_id
            )
            facts = services().facts
            dispatcher.utter_message(
                response="utter_shop_unavailable",
                phone=facts.contact_phone,
                email=facts.contact_email,
            )
            return []

    return guarded  # type: ignore[return-value]
