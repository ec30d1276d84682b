"""bot/tools/rasa_server.py: Rasa started with its token from the environment, hardened."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import rasa.core.run

from bot.ops import action_results, logs, model_loading
from bot.tools import rasa_server


def test_the_token_comes_from_the_environment_and_the_server_is_hardened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(
        rasa.core.run, "serve_application", lambda *a, **kw: seen.update(kw, args=a)
    )
    monkeypatch.setattr(logs, "install", lambda secrets=(): seen.update(secrets=list(secrets)))
    monkeypatch.setattr(model_loading, "install", lambda: seen.update(fast_load=True))
    monkeypatch.setattr(action_results, "install", lambda: seen.update(fast_check=True))
    monkeypatch.setenv("RELAY_API_TOKEN", "token-from-the-environment")
    monkeypatch.setenv("RELAY_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("SANIC_REQUEST_MAX_SIZE", raising=False)
    for name in ("RELAY_ACTION_ENDPOINT", "RELAY_ACTION_TOKEN", "RELAY_TRACKER_DIALECT"):
        monkeypatch.setenv(name, "x")
    monkeypatch.setenv("RELAY_LOCK_STORE", "in_memory")
    for name in (
        "RELAY_TRACKER_HOST",
        "RELAY_TRACKER_DB",
        "RELAY_TRACKER_USER",
        "RELAY_TRACKER_PASSWORD",
        "RELAY_REDIS_URL",
    ):
        monkeypatch.setenv(name, "")

    assert rasa_server.main(["--model", "models/relay.tar.gz", "--port", "6005"]) == 0

    assert seen["auth_token"] == "token-from-the-environment" and seen["enable_api"] is True
    assert seen["port"] == 6005 and seen["interface"] == "127.0.0.1"
    assert seen["server_listeners"] == [(rasa_server._on_start, "after_server_start")]
    assert seen["secrets"] == ["token-from-the-environment"]  # kept out of the logs
    assert seen["fast_load"] is True  # DIET and TED load without a training step
    assert seen["fast_check"] is True  # the action server's answers checked cheaply
    assert os.environ["SANIC_REQUEST_MAX_SIZE"] == str(rasa_server.MAX_REQUEST_BYTES)
