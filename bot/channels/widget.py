"""The website chat widget's channel, under /webhooks/widget/.

A shop adds one script tag (README, "Embedding the widget on your site"); the script
talks to these routes:

- `POST /session` issues a session (a signed token naming conversation `widget-<id>`,
  or `site-<website id>` for `{customer, customerExpires, customerSignature}` the shop
  signed); `GET|POST /session` with a token resumes it.
- `POST /message {token, text | payload}` passes the message through the handoff gate
  and answers with the bot's replies.
- `GET /history?token=` is the conversation so far (for a page reload), agents' words
  flagged with their names; `GET /updates?token=&after=` is what was sent later (an
  agent's words, the satisfaction question) plus who handles the conversation now.
- `GET /widget.js`, `/widget.css` and `/demo` (a demo shop page) are static.

Every API route needs the token and answers browsers only from allowed origins (the
Rasa server's own origin, plus `allowed_origins` in credentials.yml); other origins
get 403. The script sends only CORS "simple" requests (GET, and POST as text/plain),
so browsers need no preflight: inside Rasa's server its own CORS layer answers every
OPTIONS request itself. The routes answer preflights when mounted in a plain Sanic app.

Every open widget polls `/updates` every few seconds: the outbox and the ticket store
(SQLAlchemy) are called in worker threads, never on the event loop.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.exc import SQLAlchemyError

from bot.channels.flood import Floodgate
from bot.channels.gate import ConversationUnavailable, Gate
from bot.channels.inbound import CLIENT_KEY, MAX_BODY, InboundError, json_object, message_text
from bot.channels.rest import OutboxOutput, is_outbox_id
from bot.channels.served import Served
from bot.channels.widget_messages import (
    AGENT_EVENTS,
    agents_words,
    bot_message,
    events_of,
    handled_by,
    history,
    last_outbox_id,
    later_message,
)
from bot.channels.widget_session import (
    MAX_CUSTOMER_SIGNATURE_SECONDS,
    CustomerExpiryMissing,
    CustomerExpiryTooFar,
    CustomerNotSigned,
    CustomerRefused,
    CustomerSignatureExpired,
    Sessions,
    identity_secret,
    widget_secret,
)
from bot.services import of_app

logger = logging.getLogger(__name__)

ALLOWED_ORIGINS = "allowed_origins"  # list or comma-separated string of https://host[:port]
SESSION_SECRET = "session_secret"  # signing key of the tokens; see widget_session.widget_secret
KNOWN_KEYS = (ALLOWED_ORIGINS, SESSION_SECRET)


STATIC = Path(__file__).parent / "static" / "widget"
ASSETS = {
    "widget.js": "text/javascript; charset=utf-8",
    "widget.css": "text/css; charset=utf-8",
    "demo.css": "text/css; charset=utf-8",
}
ASSET_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "public, max-age=300",
    # Other sites' pages load the script and style sheet.
    "Cross-Origin-Resource-Policy": "cross-origin",
}
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
API_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store", "Vary": "Origin"}
PREFLIGHT_HEADERS = {
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type",
    "Access-Control-Max-Age": "600",
}

FOREIGN_ORIGIN = "This site may not use the chat"
BAD_TOKEN = "Unknown or invalid session"
NO_TOKEN = "A session token is required"
BAD_CUSTOMER = "The customer's signature does not match"
NO_CUSTOMER_EXPIRY = (
    "The customer's signature needs customerExpires (unix seconds): sign the id with an expiry"
)
CUSTOMER_EXPIRED = "The customer's signature has expired; sign the id with a new expiry"
CUSTOMER_TOO_FAR = (
    f"The customer's signature may expire at most {MAX_CUSTOMER_SIGNATURE_SECONDS // 3600} "
    "hours ahead"
)
CUSTOMER_REFUSALS: dict[type[CustomerRefused], str] = {
    CustomerNotSigned: BAD_CUSTOMER,
    CustomerExpiryMissing: NO_CUSTOMER_EXPIRY,
    CustomerSignatureExpired: CUSTOMER_EXPIRED,
    CustomerExpiryTooFar: CUSTOMER_TOO_FAR,
}
FLOODED = "Too many messages; wait a minute"
BAD_AFTER = "`after` must be a message id"
BAD_PAYLOAD = "A payload starts with /"
UNAVAILABLE = "The assistant is unavailable right now"
UNAVAILABLE_RESPONSE = "utter_service_unavailable"
FLOODED_RESPONSE = "utter_slow_down"
TOO_LONG_RESPONSE = "utter_message_too_long"
RESPONSES = (UNAVAILABLE_RESPONSE, FLOODED_RESPONSE, TOO_LONG_RESPONSE)
CONFIG_BLOCK = '<script type="application/json" id="relay-widget-config">\n{'

NEW_CONVERSATION = {"state": "bot", "agent": None}


class WidgetOutbox(OutboxOutput):
    """Where messages sent out of turn (agents, the CSAT survey) wait for `/updates`."""

    @classmethod
    def name(cls) -> str:
        return "widget"


class WidgetCollector(CollectingOutputChannel):
    """Collects the bot's replies to a message (so responses can have `channel: widget`)."""

    @classmethod
    def name(cls) -> str:
        return "widget"


def parse_origins(value: str | Iterable[str] | None) -> frozenset[str]:
    """`allowed_origins` from credentials.yml, as lower-case `scheme://host[:port]`."""
    if value is None:
        return frozenset()
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, Iterable):
        raise ValueError(f"{ALLOWED_ORIGINS} must be a list or a comma-separated string")
    origins = set()
    for item in items:
        origin = str(item).strip().rstrip("/").lower()
        if not origin:
            continue
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path:
            raise ValueError(
                f"{ALLOWED_ORIGINS}: {item!r} is not an origin like https://shop.example.com"
            )
        origins.add(origin)
    return frozenset(origins)


def origin_allowed(origin: str | None, host: str, allowed: frozenset[str]) -> bool:
    """Whether a browser on `origin` may call the API of the server reached as `host`."""
    if origin is None:
        return True  # not a cross-origin browser request
    origin = origin.strip().lower()
    return origin in allowed or (bool(host) and urlsplit(origin).netloc == host.lower())


def _body(request: Request) -> dict[str, Any]:
    """The JSON object body, sent as application/json or as text/plain (no preflight)."""
    return json_object(request.body, MAX_BODY)


def _message_text(body: dict[str, Any]) -> str:
    """The typed text, or a button's payload (which the gate checks the bot offered)."""
    payload = body.get("payload")
    if payload is not None:
        text = message_text(payload)
        if not text.startswith("/"):
            raise InboundError(400, BAD_PAYLOAD)
        return text
    return message_text(body.get("text"))


def demo_page(page: str, customer: str | None, expires: str | None, signature: str | None) -> str:
    """The demo shop page, as a shop's backend renders it for a signed-in customer."""
    if not customer or not expires or not signature:
        return page
    values = json.dumps(
        {"customer": customer, "customerExpires": expires, "customerSignature": signature}
    )
    # Inside <script type="application/json">: no "<" may survive (no </script> breakout).
    values = values.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return page.replace(CONFIG_BLOCK, CONFIG_BLOCK[:-1] + "{" + values[1:-1] + ",", 1)


# A coroutine function, as Sanic's add_route wants (not just any awaitable).
Handler = Callable[..., Coroutine[Any, Any, HTTPResponse]]


class WidgetInput(InputChannel):
    """The website chat widget (see the module docstring and the README)."""

    def __init__(
        self,
        allowed_origins: frozenset[str] = frozenset(),
        session_secret: str | None = None,
        floodgate: Floodgate | None = None,
    ) -> None:
        self.allowed_origins = allowed_origins
        self._secret = session_secret
        self._sessions: Sessions | None = None
        self._floodgate = floodgate
        self.served = Served()

    @classmethod
    def name(cls) -> str:
        return "widget"

    def _flood(self) -> Floodgate:
        """The floodgate given, or the server's (shared by its processes with Redis)."""
        return self._floodgate or self.served.services.floodgate(self.name())

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        credentials = credentials or {}
        unknown = sorted(set(credentials) - set(KNOWN_KEYS))
        if unknown:
            raise ValueError(
                f"unknown key(s) {unknown} for {cls.__name__} in credentials.yml; "
                f"known keys: {list(KNOWN_KEYS)}"
            )
        secret = credentials.get(SESSION_SECRET)
        return cls(
            allowed_origins=parse_origins(credentials.get(ALLOWED_ORIGINS)),
            session_secret=str(secret) if secret else None,
        )

    def get_output_channel(self) -> CollectingOutputChannel:
        return WidgetOutbox(self.served.services.outbox)

    @property
    def sessions(self) -> Sessions:
        """Created on first use, so the secret file is only written by a running server."""
        if self._sessions is None:
            data_dir = self.served.services.settings.data_dir
            self._sessions = Sessions(
                widget_secret(data_dir, self._secret), identity=identity_secret(data_dir)
            )
        return self._sessions

    def _api(self, handler: Handler) -> Handler:
        """Origin check, preflight, CORS and security headers, errors as JSON."""

        @functools.wraps(handler)
        async def wrapped(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
            origin = request.headers.get("origin")
            if not origin_allowed(origin, request.host, self.allowed_origins):
                return response.json({"error": FOREIGN_ORIGIN}, 403, headers=API_HEADERS)
            cors = {"Access-Control-Allow-Origin": origin} if origin else {}
            if request.method == "OPTIONS":
                return response.empty(204, headers={**API_HEADERS, **PREFLIGHT_HEADERS, **cors})
            try:
                reply = await handler(request, *args, **kwargs)
            except InboundError as failure:
                if failure.status == 413:
                    reply = self._apology(413, failure.message, TOO_LONG_RESPONSE)
                else:
                    reply = response.json({"error": failure.message}, failure.status)
            except SQLAlchemyError:
                logger.exception("widget: the ticket database failed on %s", request.path)
                reply = response.json({"error": UNAVAILABLE}, 503)
            for key, value in {**API_HEADERS, **cors}.items():
                reply.headers[key] = value
            return reply

        return wrapped

    def _apology(self, status: int, error: str, name: str) -> HTTPResponse:
        """An error for the script, with the domain's sentence for the customer to read."""
        text = self.served.services.replies.text(name)
        return response.json({"error": error, "messages": [{"from": "bot", "text": text}]}, status)

    @staticmethod
    def _rasa(request: Request) -> Any:
        """The Rasa agent, or a 503 while the server is still loading its model."""
        agent = getattr(request.app.ctx, "agent", None)
        if agent is None or getattr(agent, "tracker_store", None) is None:
            raise InboundError(503, UNAVAILABLE)
        return agent

    def _sender(self, token: Any) -> str:
        if not token:
            raise InboundError(401, NO_TOKEN)
        sender = self.sessions.sender(token if isinstance(token, str) else None)
        if sender is None:
            raise InboundError(403, BAD_TOKEN)
        return sender

    async def _new_session(self, body: dict[str, Any]) -> HTTPResponse:
        """An anonymous session, or a signed-in customer's when the shop's signature holds."""
        customer = body.get("customer")
        if customer is None:
            token, _ = self.sessions.issue()
        else:
            expires, signature = body.get("customerExpires"), body.get("customerSignature")
            try:
                until = self.sessions.check_customer(customer, expires, signature)
            except CustomerRefused as refusal:
                logger.info("widget: no session for a signed-in customer: %s", refusal)
                raise InboundError(403, CUSTOMER_REFUSALS[type(refusal)]) from refusal
            token, _ = self.sessions.issue_for_customer(customer, until)
        sender = self.sessions.sender(token)
        assert sender is not None
        services = self.served.services
        if customer is None:
            state = NEW_CONVERSATION
        else:
            state = await asyncio.to_thread(handled_by, services, sender)
        return response.json({"token": token, "resumed": False, **state})

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        widget = Blueprint("relay_widget", __name__)
        gate = Gate(on_new_message)
        self.served.on_start(widget)

        @widget.listener("before_server_start")
        async def check_responses(app: Any, loop: Any) -> None:
            of_app(app).replies.require(*RESPONSES)

        @widget.middleware("request")
        async def attach(request: Request) -> None:
            gate.app = request.app

        @widget.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @widget.route("/session", methods=["GET", "POST", "OPTIONS"])
        @self._api
        async def session(request: Request) -> HTTPResponse:
            """Issues a session (POST without a token) or resumes one."""
            services = of_app(request.app)
            if request.method == "GET":
                token = request.args.get("token")
            else:
                token = _body(request).get("token")
            if token is None and request.method == "POST":
                return await self._new_session(_body(request))
            sender = self._sender(token)
            state = await asyncio.to_thread(handled_by, services, sender)
            return response.json({"token": token, "resumed": True, **state})

        @widget.route("/message", methods=["POST", "OPTIONS"])
        @self._api
        async def message(request: Request) -> HTTPResponse:
            """Passes the customer's message on; answers with the bot's replies."""
            services = of_app(request.app)
            body = _body(request)
            sender = self._sender(body.get("token"))
            text = _message_text(body)
            client = f"ip:{request.remote_addr or request.ip}"
            if not await self._flood().admits(sender, client):
                return self._apology(429, FLOODED, FLOODED_RESPONSE)
            collector = WidgetCollector()
            message = UserMessage(
                text, collector, sender, input_channel=self.name(), metadata={CLIENT_KEY: client}
            )
            try:
                await gate.deliver(message)
            except ConversationUnavailable:
                logger.exception("widget: conversation %s is unavailable", sender)
                return self._apology(503, UNAVAILABLE, UNAVAILABLE_RESPONSE)
            except Exception:
                logger.exception("widget: could not handle a message of %s", sender)
                return self._apology(503, UNAVAILABLE, UNAVAILABLE_RESPONSE)
            replies = [bot_message(reply) for reply in collector.messages]
            shaped = [{"from": "bot", **reply} for reply in replies if reply]
            state = await asyncio.to_thread(handled_by, services, sender)
            return response.json({"messages": shaped, **state})

        @widget.route("/history", methods=["GET", "OPTIONS"])
        @self._api
        async def conversation(request: Request) -> HTTPResponse:
            """The conversation so far, and the outbox id to fetch `/updates` after."""
            services = of_app(request.app)
            sender = self._sender(request.args.get("token"))
            agent = self._rasa(request)
            # Under the conversation's lock (agents write under it), so the history and
            # the outbox position agree: nothing shown twice, nothing missed.
            async with agent.lock_store.lock(sender):
                after = await asyncio.to_thread(last_outbox_id, services.outbox, sender)
                tracker = await agent.tracker_store.retrieve(sender)
            state = await asyncio.to_thread(handled_by, services, sender)
            return response.json({"messages": history(events_of(tracker)), "after": after, **state})

        @widget.route("/updates", methods=["GET", "OPTIONS"])
        @self._api
        async def updates(request: Request) -> HTTPResponse:
            """Messages sent after outbox id `after`, and who handles the conversation."""
            sender = self._sender(request.args.get("token"))
            after = request.args.get("after") or "0"
            if not is_outbox_id(after):
                raise InboundError(400, BAD_AFTER)
            services = of_app(request.app)
            outbox = services.outbox
            pending = await asyncio.to_thread(outbox.pull, sender, int(after))
            agents: dict[str, str] = {}
            if pending:
                agent = self._rasa(request)
                async with agent.lock_store.lock(sender):  # an agent's reply is saved by now
                    pending = await asyncio.to_thread(outbox.pull, sender, int(after))
                    tracker = await agent.tracker_store.retrieve(sender)
                agents = agents_words(events_of(tracker)[-AGENT_EVENTS:])
            shaped = [later_message(message, agents) for message in pending]
            last = pending[-1]["id"] if pending else int(after)
            state = await asyncio.to_thread(handled_by, services, sender)
            return response.json({"messages": [m for m in shaped if m], "after": last, **state})

        @widget.route("/demo", methods=["GET"])
        async def demo(request: Request) -> HTTPResponse:
            """A demo shop page with the widget embedded (signed in as `customer`, given the
            shop's `signature` of their id and `expires`, as `make run` prints for Maya)."""
            page = (STATIC / "demo.html").read_text(encoding="utf-8")
            customer, expires = request.args.get("customer"), request.args.get("expires")
            signature = request.args.get("signature")
            page = demo_page(page, customer, expires, signature)
            return response.html(page, headers=PAGE_HEADERS)

        def asset(name: str) -> Handler:
            async def serve(request: Request) -> HTTPResponse:
                text = (STATIC / name).read_text(encoding="utf-8")
                return response.text(text, content_type=ASSETS[name], headers=ASSET_HEADERS)

            return serve

        for name in ASSETS:
            widget.add_route(asset(name), f"/{name}", methods=["GET"], name=name.replace(".", "_"))

        return widget
