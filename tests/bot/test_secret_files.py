"""bot/secret_files.py: secret files are 0600 from their creation and written whole."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

from bot.secret_files import generated_secret, write_secret


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_generated_secret_is_private_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "var" / "key"
    first = generated_secret(path)
    assert len(first) >= 40 and mode(path) == 0o600
    assert generated_secret(path) == first
    assert [p.name for p in path.parent.iterdir()] == ["key"]  # no temporary left behind


def test_a_secret_is_never_readable_by_others_even_under_a_loose_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        generated_secret(tmp_path / "key")
        write_secret(tmp_path / "written", b"value")
    finally:
        os.umask(old)
    assert mode(tmp_path / "key") == 0o600
    assert mode(tmp_path / "written") == 0o600


def test_write_secret_replaces_the_file_atomically(tmp_path: Path) -> None:
    path = tmp_path / "agents.yml"
    write_secret(path, b"first")
    write_secret(path, b"second")
    assert path.read_bytes() == b"second" and mode(path) == 0o600


def test_processes_starting_together_agree_on_one_key(tmp_path: Path) -> None:
    path = tmp_path / "key"
    seen: list[bytes] = []
    threads = [
        threading.Thread(target=lambda: seen.append(generated_secret(path))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(seen)) == 1 and seen[0] == path.read_bytes()
