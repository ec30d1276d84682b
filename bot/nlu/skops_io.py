"""skops.io (how the sentiment model is stored), imported without what its import does to logging.

At import, skops.io names about 750 numpy and scipy functions by searching every loaded
module for each (skops.io._utils.whichmodule, through scikit-learn's `all_estimators()`).
That search imports numpy.distutils, which turns the root logger into its own
`print`-based logger at threshold WARN (`_global_log.__class__ = Log`, after setuptools
gave it handlers of its own): root-logger lines such as Rasa's "Rasa server is up and
running." were lost, and those that got through skipped Relay's redaction
(bot/ops/logs.py). `load()` puts the root logger's class, level and handlers back.

The search is also why it matters when skops is imported: into a fresh interpreter it
takes 1.7 s, once Rasa and TensorFlow have loaded 5,700 modules 7 s or more. The Rasa
server imports it first (bot/ops/model_loading.py).
"""

from __future__ import annotations

import importlib
import logging
from types import ModuleType


def load() -> ModuleType:
    """skops.io, the root logger left as it was."""
    root = logging.getLogger()
    kind, level, handlers = root.__class__, root.level, list(root.handlers)
    module = importlib.import_module("skops.io")
    root.__class__ = kind
    root.setLevel(level)
    root.handlers[:] = handlers
    return module
