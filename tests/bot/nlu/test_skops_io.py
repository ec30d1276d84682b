"""bot/nlu/skops_io.py: skops.io imported, the root logger left as it was."""

from __future__ import annotations

import subprocess
import sys

from bot.settings import ROOT

# Run in a fresh interpreter each: this one may have imported skops already.
ROOT_LOGGER_AFTER = """
import logging
root = logging.getLogger()
handler = logging.StreamHandler()
root.addHandler(handler)
root.setLevel(logging.INFO)
{import_skops}
print(type(root).__name__, root.level, root.handlers == [handler])
"""
AS_IT_WAS = "RootLogger 20 True"


def root_logger_after(import_skops: str) -> str:
    code = ROOT_LOGGER_AFTER.format(import_skops=import_skops)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_a_plain_import_of_skops_changes_the_root_logger() -> None:
    # numpy.distutils, imported through scikit-learn's all_estimators(), makes it print-based
    assert root_logger_after("import skops.io") != AS_IT_WAS


def test_skops_is_imported_and_the_root_logger_left_as_it_was() -> None:
    code = "from bot.nlu import skops_io\nassert skops_io.load().__name__ == 'skops.io'"

    assert root_logger_after(code) == AS_IT_WAS
