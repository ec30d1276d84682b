"""Secret files in the data directory: created readable by their owner only, from the start.

A key generated on first use (the console's, the widget's, the API token) is
written to a file created with mode 0600 and linked into place, so it is never
readable by others, not even for the moment between a write and a chmod, and two
processes starting together agree on one key (the loser reads the winner's). Every
key read here is also kept from the logs (bot/ops/logs.py).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path

from bot.ops.logs import keep_secret

MODE = 0o600


def _temporary(path: Path, value: bytes) -> str:
    """A new file beside `path` holding `value`, created 0600 (mkstemp's mode)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(descriptor, MODE)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(value)
    except BaseException:
        os.unlink(temporary)
        raise
    return temporary


def write_secret(path: Path, value: bytes) -> None:
    """Replaces `path` with `value` atomically; the new file is 0600 from its creation."""
    temporary = _temporary(path, value)
    try:
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def generated_secret(path: Path, length: int = 32) -> bytes:
    """The key kept in `path`, generated (URL-safe, `length` random bytes) if missing.

    The file appears complete or not at all (a hard link of a finished file), so a
    process starting at the same moment reads the whole key, never half of it.
    """
    if not path.exists():
        temporary = _temporary(path, secrets.token_urlsafe(length).encode())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process won the race: use its key
        finally:
            os.unlink(temporary)
    value = path.read_bytes().strip()
    keep_secret(value)  # never in a log line
    return value
