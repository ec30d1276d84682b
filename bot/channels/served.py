"""The services (bot/services.py) of the Rasa server that serves a channel.

Rasa makes a channel from credentials.yml before its server exists, and asks it for
an output channel outside any request of the channel's own (an agent's reply from
the console), so the channel learns the app's services when the server starts;
tests bind their own.
"""

from __future__ import annotations

from typing import Any

from sanic import Blueprint

from bot.services import Services, of_app

NOT_SERVING = "the channel's server has not started: its services are not known yet"


class Served:
    """Holds the services of the app a channel's blueprint is served by."""

    def __init__(self) -> None:
        self._services: Services | None = None

    def bind(self, services: Services) -> None:
        self._services = services

    @property
    def services(self) -> Services:
        if self._services is None:
            raise RuntimeError(NOT_SERVING)
        return self._services

    def on_start(self, blueprint: Blueprint) -> None:
        """Binds the services of the app `blueprint` is served by, before it serves."""

        @blueprint.listener("before_server_start")  # type: ignore[untyped-decorator]
        async def bind(app: Any, loop: Any) -> None:
            self.bind(of_app(app))
