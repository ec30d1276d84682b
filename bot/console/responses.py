"""What the console's API answers: JSON with the security headers, and the one place
where an operation the handoff core refused (bot/handoff/tickets.py) becomes an HTTP
status."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sanic import response
from sanic.response import HTTPResponse

from bot.console.conversations import NotDelivered
from bot.handoff.tickets import (
    InvalidRequest,
    NotAllowed,
    TextTooLong,
    TicketConflict,
    TicketError,
    TicketNotFound,
)

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
SIGN_IN_FIRST = "Sign in first"
WRONG_PASSWORD = "Wrong username or password"
TOO_MANY = "Too many failed sign-ins; try again in a few minutes"
ADMINS_ONLY = "Only an admin can do that"
NOT_YOURS = "This ticket is a colleague's; ask them to transfer it to you"
NOT_DELIVERED = "Your reply did not reach the customer"
UNAVAILABLE = "The database is unavailable for a moment; try again shortly"

# What each kind of refused ticket operation is in HTTP, most specific first.
STATUSES: tuple[tuple[type[TicketError], int], ...] = (
    (TicketNotFound, 404),
    (NotAllowed, 403),
    (TicketConflict, 409),
    (TextTooLong, 413),
    (InvalidRequest, 400),
    (TicketError, 400),
)

Handler = Callable[..., Awaitable[HTTPResponse]]


def error(status: int, message: str) -> HTTPResponse:
    return response.json({"error": message}, status=status, headers=SECURITY_HEADERS)


def refusal(failure: TicketError | NotDelivered) -> HTTPResponse:
    """The answer to an operation the core refused: the one place its kind becomes a status."""
    if isinstance(failure, NotDelivered):
        return error(502, f"{NOT_DELIVERED}: {failure}")
    status = next(status for kind, status in STATUSES if isinstance(failure, kind))
    return error(status, failure.message)


def ok(body: dict[str, Any]) -> HTTPResponse:
    return response.json(body, headers=SECURITY_HEADERS)
