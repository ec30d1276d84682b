"""bot/channels/served.py: a channel learns its server's services when the server starts."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sanic import Blueprint, Sanic

from bot.channels.served import NOT_SERVING, Served
from tests.support.asgi import serving
from tests.support.services import services_in


def test_before_the_server_starts_the_services_are_unknown() -> None:
    with pytest.raises(RuntimeError, match=NOT_SERVING):
        assert Served().services


def test_a_test_binds_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    served, services = Served(), services_in(tmp_path, monkeypatch)
    served.bind(services)
    assert served.services is services


def test_the_apps_services_are_bound_when_it_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Sanic, "test_mode", True)
    services = services_in(tmp_path, monkeypatch)
    served, blueprint = Served(), Blueprint("served_test")
    served.on_start(blueprint)
    app = Sanic("relay_served_test")
    app.ctx.services = services
    app.blueprint(blueprint)

    async def start() -> None:
        async with serving(app):
            assert served.services is services

    asyncio.run(start())
