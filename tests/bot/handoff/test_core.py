"""bot/handoff/: the handoff core stays free of Rasa, Sanic and TensorFlow.

The action server and the Rasa server both use it, and its tests run without a
model; importing every module in a fresh interpreter must load none of them.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import bot.handoff

SERVER_SIDE = ("rasa", "rasa_sdk", "sanic", "tensorflow", "spacy")

PROBE = """
import importlib, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
print(" ".join(sorted({m.split(".")[0] for m in sys.modules})))
"""


def test_no_module_of_the_core_loads_a_server_framework() -> None:
    names = [f"bot.handoff.{module.name}" for module in pkgutil.iter_modules(bot.handoff.__path__)]
    assert "bot.handoff.tickets" in names
    loaded = subprocess.run(
        [sys.executable, "-c", PROBE, *names], capture_output=True, text=True, check=True
    ).stdout.split()
    assert "sqlalchemy" in loaded  # the probe sees what the modules import
    assert not set(SERVER_SIDE) & set(loaded)
