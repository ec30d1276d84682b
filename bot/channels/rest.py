"""Relay's REST channel, for a shop's own backend or a custom chat front-end.

    POST /webhooks/rest/webhook  {"sender": "...", "message": "..."}  -> the bot's replies
    GET  /webhooks/rest/messages?sender=...&after=<id>  -> what was sent later (an agent's
         words, the satisfaction question), kept in an outbox because REST can't push.

Who the sender is depends on what the deployment says in credentials.yml:

- By default the caller is anonymous: its conversation is `rest-<sender>`, which no
  other channel can name, and it is a visitor until it proves an order with the
  order's email. The sender id is the only secret of such a conversation, so it must
  be at least MIN_ANONYMOUS_SENDER characters (a random id, as a chat front-end makes).
- With `token` set, every call needs `Authorization: Bearer <token>`: the channel
  sits behind an authenticated backend, which may use any sender id.
- With `senders_are_customers` too, the backend vouches that the sender is the shop
  customer's website id: the conversation is `site-<sender>` and the bot knows them.

Messages go through the handoff gate (payload checks, "never mind"). Bodies,
senders and texts are checked (bot/channels/inbound.py); floods get 429.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import identity
from bot.channels.flood import Floodgate
from bot.channels.gate import ConversationUnavailable, Gate
from bot.channels.inbound import (
    CLIENT_KEY,
    InboundError,
    bearer,
    json_object,
    message_text,
    same_secret,
)
from bot.channels.outbox import Outbox
from bot.channels.served import Served
from bot.services import of_app

logger = logging.getLogger(__name__)

TOKEN = "token"
SENDERS_ARE_CUSTOMERS = "senders_are_customers"
KNOWN_KEYS = (TOKEN, SENDERS_ARE_CUSTOMERS)
TRUE = {"1", "true", "yes", "on"}
FALSE = {"", "0", "false", "no", "off"}

MAX_SENDER = 128
MIN_ANONYMOUS_SENDER = 16
SENDER = re.compile(r"[A-Za-z0-9_.:@+=-]+")
# Metadata a trusted backend may pass on; an anonymous caller's metadata is ignored.
TRUSTED_METADATA = ("first_name", "language_code")

UNAUTHORIZED = "Send the channel's token as Authorization: Bearer <token>"
BAD_SENDER = f"`sender` must be 1-{MAX_SENDER} characters of A-Z, a-z, 0-9 and _.:@+=-"
SHORT_SENDER = (
    f"Without the channel's token, `sender` is the conversation's only secret: use a random "
    f"id of at least {MIN_ANONYMOUS_SENDER} characters"
)
BAD_AFTER = "`after` must be a message id"
BAD_CONTENT_TYPE = "Send application/json"
FLOODED = "Too many messages; wait a minute"
UNAVAILABLE_RESPONSE = "utter_service_unavailable"
FLOODED_RESPONSE = "utter_slow_down"
TOO_LONG_RESPONSE = "utter_message_too_long"
RESPONSES = (UNAVAILABLE_RESPONSE, FLOODED_RESPONSE, TOO_LONG_RESPONSE)
MISSING_TOKEN = (
    f"credentials.yml: the rest channel's `{SENDERS_ARE_CUSTOMERS}` needs its `{TOKEN}`: "
    "without it anyone could claim to be any customer"
)


class RestConfigError(ValueError):
    """The channel's credentials are inconsistent."""


def _flag(value: Any) -> bool:
    text = str(value if value is not None else "").strip().lower()
    if text not in TRUE | FALSE:
        raise RestConfigError(
            f"credentials.yml: rest {SENDERS_ARE_CUSTOMERS}: {value!r} is no yes/no"
        )
    return text in TRUE


def is_outbox_id(value: str) -> bool:
    """A plain decimal outbox id that fits the database's 64-bit integers."""
    return value.isascii() and value.isdigit() and int(value) < 2**63


class OutboxOutput(CollectingOutputChannel):
    """Keeps each message in the outbox (bot/channels/outbox.py) for the customer to fetch."""

    def __init__(self, outbox: Outbox) -> None:
        super().__init__()
        self._outbox = outbox

    @classmethod
    def name(cls) -> str:
        return "rest"

    async def _persist_message(self, message: dict[str, Any]) -> None:
        await super()._persist_message(message)
        recipient = str(message.get("recipient_id"))
        payload = {key: value for key, value in message.items() if key != "recipient_id"}
        await asyncio.to_thread(self._outbox.push, recipient, payload)  # off the loop


class RelayRestInput(InputChannel):
    """The REST channel (see the module docstring).

    Args:
        token: The secret a backend sends as a bearer token; None for anonymous callers.
        senders_are_customers: The backend's sender ids are its customers' website ids.
        floodgate: Limits messages per conversation and per client; by default the
            server's (`Services.floodgate`).
    """

    def __init__(
        self,
        token: str | None = None,
        senders_are_customers: bool = False,
        floodgate: Floodgate | None = None,
    ) -> None:
        if senders_are_customers and not token:
            raise RestConfigError(MISSING_TOKEN)
        self._token = token
        self._namespace = identity.SITE if senders_are_customers else identity.REST
        self._floodgate = floodgate
        self.served = Served()

    @classmethod
    def name(cls) -> str:
        return "rest"

    def _flood(self) -> Floodgate:
        """The floodgate given, or the server's (shared by its processes with Redis)."""
        return self._floodgate or self.served.services.floodgate(self.name())

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        credentials = credentials or {}
        unknown = sorted(set(credentials) - set(KNOWN_KEYS))
        if unknown:
            raise RestConfigError(
                f"unknown key(s) {unknown} for the rest channel in credentials.yml; "
                f"known keys: {list(KNOWN_KEYS)}"
            )
        token = str(credentials.get(TOKEN) or "").strip() or None
        return cls(token, _flag(credentials.get(SENDERS_ARE_CUSTOMERS)))

    def get_output_channel(self) -> CollectingOutputChannel:
        return OutboxOutput(self.served.services.outbox)

    def _authorize(self, request: Request) -> None:
        if self._token and not same_secret(
            bearer(request.headers.get("Authorization")), self._token
        ):
            raise InboundError(401, UNAUTHORIZED)

    def _sender(self, value: Any) -> str:
        if not isinstance(value, str) or len(value) > MAX_SENDER or not SENDER.fullmatch(value):
            raise InboundError(400, BAD_SENDER)
        if not self._token and len(value) < MIN_ANONYMOUS_SENDER:
            raise InboundError(400, SHORT_SENDER)
        return value

    def _client(self, request: Request, sender: str) -> str:
        """Whom per-client limits count: the backend's user, or the caller's address."""
        return f"rest:{sender}" if self._token else f"ip:{request.remote_addr or request.ip}"

    def _metadata(self, body: dict[str, Any], client: str) -> dict[str, Any]:
        metadata: dict[str, Any] = {CLIENT_KEY: client}
        given = body.get("metadata")
        if self._token and isinstance(given, dict):
            for key in TRUSTED_METADATA:
                if isinstance(given.get(key), str):
                    metadata[key] = given[key][:100]
        return metadata

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        rest = Blueprint("relay_rest", __name__)
        gate = Gate(on_new_message)
        self.served.on_start(rest)

        @rest.listener("before_server_start")
        async def check_responses(app: Any, loop: Any) -> None:
            of_app(app).replies.require(*RESPONSES)

        @rest.middleware("request")
        async def attach(request: Request) -> None:
            gate.app = request.app

        @rest.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @rest.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            """The customer's message in; the bot's replies out."""
            body: dict[str, Any] = {}
            try:
                self._authorize(request)
                if (request.content_type or "").split(";")[0].strip() != "application/json":
                    raise InboundError(415, BAD_CONTENT_TYPE)
                body = json_object(request.body)
                sender = self._sender(body.get("sender"))
                text = message_text(body.get("message"))
            except InboundError as refused:
                if refused.status == 413 and isinstance(body.get("sender"), str):
                    return self._apology(413, refused.message, TOO_LONG_RESPONSE, body["sender"])
                return response.json({"error": refused.message}, refused.status)
            conversation = identity.conversation_id(self._namespace, sender)
            client = self._client(request, sender)
            if not await self._flood().admits(conversation, client):
                return self._apology(429, FLOODED, FLOODED_RESPONSE, sender)
            collector = CollectingOutputChannel()
            message = UserMessage(
                text,
                collector,
                conversation,
                input_channel=self.name(),
                metadata=self._metadata(body, client),
            )
            try:
                await gate.deliver(message)
            except ConversationUnavailable:
                logger.exception("rest: conversation %s is unavailable", conversation)
                return self._apology(
                    503, "The conversation store is unavailable", UNAVAILABLE_RESPONSE, sender
                )
            return response.json(
                [{**reply, "recipient_id": sender} for reply in collector.messages]
            )

        @rest.route("/messages", methods=["GET"])
        async def messages(request: Request) -> HTTPResponse:
            """Messages for `sender` pushed after outbox id `after`."""
            try:
                self._authorize(request)
                sender = self._sender(request.args.get("sender"))
                after = request.args.get("after") or "0"
                if not is_outbox_id(after):
                    raise InboundError(400, BAD_AFTER)
            except InboundError as refused:
                return response.json({"error": refused.message}, refused.status)
            conversation = identity.conversation_id(self._namespace, sender)
            outbox = of_app(request.app).outbox
            pending = await asyncio.to_thread(outbox.pull, conversation, int(after))
            return response.json({"messages": pending})

        return rest

    def _apology(self, status: int, error: str, name: str, sender: str) -> HTTPResponse:
        """An error for the client, with the domain's sentence for the customer."""
        text = self.served.services.replies.text(name)
        return response.json(
            {"error": error, "messages": [{"recipient_id": sender, "text": text}]}, status
        )
