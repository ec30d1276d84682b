"""The action server's services (bot/services.py), built once per process.

rasa-sdk imports the action modules itself, so they can't be handed an object:
they call `services()`, the one accessor. Nothing connects at import time: the
services are built when the first action runs, and each one on first use (the shop's
repository creates the schema of a fresh database and, where RELAY_DEMO_DATA allows
it, the demo data: by default on the embedded SQLite database only). Tests `use()`
services of their own.
"""

from __future__ import annotations

import threading

from bot.services import Services

_lock = threading.Lock()
_current: Services | None = None


def services() -> Services:
    """This process's services (the environment's, unless `use` gave others)."""
    global _current
    with _lock:
        if _current is None:
            _current = Services.from_settings()
        return _current


def use(given: Services | None) -> None:
    """Makes the actions use `given` (None: the environment's, built on next use)."""
    global _current
    with _lock:
        _current = given
