"""Relay's REST channel: Rasa's REST channel, plus messages pushed while nobody asked.

REST is request/response, so what an agent (or the bot, after an agent resolves
the case) says later is kept in an outbox and fetched with
`GET /webhooks/rest/messages?sender=<id>&after=<last id>`. Incoming messages go
through the handoff gate ("never mind" while waiting for a person).

Like Rasa's, this channel trusts the sender id it is given: put it behind your own
authenticated backend, or use the website widget, which issues its own sessions.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.handoff import runtime
from bot.handoff.gate import Gate

MAX_SENDER = 255


def _is_id(value: str) -> bool:
    """A plain decimal outbox id that fits the database's 64-bit integers."""
    return value.isascii() and value.isdigit() and int(value) < 2**63


class OutboxOutput(CollectingOutputChannel):
    """Keeps each message in the ticket database's outbox for the customer to fetch."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    async def _persist_message(self, message: dict[str, Any]) -> None:
        await super()._persist_message(message)
        recipient = str(message.get("recipient_id"))
        payload = {key: value for key, value in message.items() if key != "recipient_id"}
        runtime.store().push(recipient, payload)


class RelayRestInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    def _extract_input_channel(self, req: Request) -> str:
        # Never let a caller claim another channel's name (agents' replies follow it).
        return self.name()

    def get_output_channel(self) -> CollectingOutputChannel:
        return OutboxOutput()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        gate = Gate(on_new_message)
        blueprint = super().blueprint(gate.deliver)

        @blueprint.middleware("request")
        async def attach(request: Request) -> None:
            gate.app = request.app

        @blueprint.route("/messages", methods=["GET"])
        async def messages(request: Request) -> HTTPResponse:
            """Messages for `sender` pushed after outbox id `after`."""
            sender = request.args.get("sender") or ""
            after = request.args.get("after") or "0"
            if not sender or len(sender) > MAX_SENDER or not _is_id(after):
                return response.json({"error": "sender and a numeric after are required"}, 400)
            return response.json({"messages": runtime.store().pull(sender, int(after))})

        return blueprint
