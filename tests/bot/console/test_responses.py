"""bot/console/responses.py: each refusal of the handoff core is one HTTP status."""

from __future__ import annotations

import json

import pytest

from bot.console.conversations import NotDelivered
from bot.console.responses import NOT_DELIVERED, refusal
from bot.handoff.tickets import (
    InvalidRequest,
    NotAllowed,
    TextTooLong,
    TicketConflict,
    TicketError,
    TicketNotFound,
)


@pytest.mark.parametrize(
    ("failure", "status"),
    [
        (TicketNotFound("No ticket 7"), 404),
        (NotAllowed("Claim the ticket first"), 403),
        (TicketConflict("Ticket is already resolved"), 409),
        (TextTooLong("`text` is longer than 4000 characters"), 413),
        (InvalidRequest("The note is empty"), 400),
    ],
)
def test_each_kind_of_refusal_is_one_status_with_its_message(
    failure: TicketError, status: int
) -> None:
    answer = refusal(failure)
    assert answer.status == status
    assert json.loads(answer.body) == {"error": failure.message}


def test_a_reply_that_did_not_arrive_is_a_bad_gateway_that_says_why() -> None:
    answer = refusal(NotDelivered("the customer blocked the bot"))
    assert answer.status == 502
    assert json.loads(answer.body) == {"error": f"{NOT_DELIVERED}: the customer blocked the bot"}
