"""A local chat page, served by the Rasa server, that talks to the REST channel.

Open http://localhost:5005/webhooks/chat/ after `make run`. The page keeps a
random conversation id in the browser's local storage and renders the bot's
text, buttons and images as plain DOM text (never as HTML).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

PAGE = Path(__file__).parent / "static" / "chat.html"


class ChatPageInput(InputChannel):
    """Serves the chat page; messages themselves go through Rasa's REST channel."""

    @classmethod
    def name(cls) -> str:
        return "chat"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        chat = Blueprint("chat_page", __name__)

        @chat.route("/", methods=["GET"])
        async def page(request: Request) -> HTTPResponse:
            """The chat page itself."""
            return response.html(
                PAGE.read_text(encoding="utf-8"),
                headers={
                    "Content-Security-Policy": (
                        "default-src 'self'; script-src 'self' 'unsafe-inline'; "
                        "style-src 'self' 'unsafe-inline'; img-src 'self' https: data:"
                    ),
                    "X-Content-Type-Options": "nosniff",
                },
            )

        @chat.route("/health", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        return chat
