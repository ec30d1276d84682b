"""Rasa's Redis lock store against Relay's, under the same race: do two holders overlap?

python -m bot.tools.lock_race [--workers 4] [--rounds 50] [--redis-url URL]

Each worker is a thread with its own event loop and its own lock store (its own
connections), as each Rasa process behind a load balancer has. All take the lock of
one conversation `rounds` times and hold it for a few milliseconds; a holder that
finds another inside counts an overlap: two messages of one conversation processed
at once. Without --redis-url a redis-server is started on a free port. Prints one
line per store and writes results/lock_race/lock_race.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from rasa.core.lock_store import LockError
from rasa.core.lock_store import RedisLockStore as RasaRedisLockStore

from bot.ops.redis_lock_store import RedisLockStore
from bot.tools.scaled.servers import RedisServer
from bot.tools.soak.stack import free_port

HOLD_SECONDS = 0.002
LIFETIME_SECONDS = 5.0  # a lost ticket costs its waiter this long


@dataclass
class Outcome:
    """What one store did under the race."""

    store: str
    workers: int
    rounds: int
    held: int = 0
    overlaps: int = 0
    lock_errors: int = 0
    other_errors: int = 0
    seconds: float = 0.0


class _Room:
    """Counts who is inside; one already inside on entry is an overlap."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.inside = 0

    def enter(self) -> bool:
        with self._lock:
            self.inside += 1
            return self.inside > 1

    def leave(self) -> None:
        with self._lock:
            self.inside -= 1


def _worker(make: Callable[[], Any], rounds: int, room: _Room, outcome: Outcome) -> None:
    async def run() -> None:
        store = make()
        for _ in range(rounds):
            try:
                async with store.lock(
                    "race", lock_lifetime=LIFETIME_SECONDS, wait_time_in_seconds=0.005
                ):
                    overlapped = room.enter()
                    await asyncio.sleep(HOLD_SECONDS)
                    room.leave()
                with room._lock:
                    outcome.held += 1
                    outcome.overlaps += int(overlapped)
            except LockError:
                with room._lock:
                    outcome.lock_errors += 1
            except Exception:  # noqa: BLE001 (a store that breaks is a result here)
                with room._lock:
                    outcome.other_errors += 1

    asyncio.run(run())


def race(name: str, make: Callable[[], Any], workers: int, rounds: int) -> Outcome:
    """Runs `workers` threads through `rounds` lock holds each on stores from `make`."""
    outcome = Outcome(name, workers, rounds)
    room = _Room()
    threads = [
        threading.Thread(target=_worker, args=(make, rounds, room, outcome)) for _ in range(workers)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    outcome.seconds = round(time.perf_counter() - started, 2)
    return outcome


def rasa_store(url: str) -> Callable[[], Any]:
    parts = urlsplit(url)
    database = int(parts.path.strip("/") or 0)
    return lambda: RasaRedisLockStore(host=parts.hostname, port=parts.port or 6379, db=database)


def relay_store(url: str) -> Callable[[], Any]:
    return lambda: RedisLockStore(url=url)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--redis-url")
    parser.add_argument("--out", type=Path, default=Path("results/lock_race"))
    args = parser.parse_args(argv)
    server = None
    url = args.redis_url
    if not url:
        server = RedisServer(Path(tempfile.mkdtemp(prefix="relay-lock-race-")), free_port()).start()
        url = server.url
    try:
        outcomes = [
            race("rasa.core.lock_store.RedisLockStore", rasa_store(url), args.workers, args.rounds),
            race(
                "bot.ops.redis_lock_store.RedisLockStore",
                relay_store(url),
                args.workers,
                args.rounds,
            ),
        ]
    finally:
        if server:
            server.stop()
    for outcome in outcomes:
        print(
            f"{outcome.store}: {outcome.held} holds, {outcome.overlaps} overlapping, "
            f"{outcome.lock_errors} lock errors, {outcome.other_errors} other errors, "
            f"{outcome.seconds} s"
        )
    args.out.mkdir(parents=True, exist_ok=True)
    report = {
        "hold_seconds": HOLD_SECONDS,
        "lifetime_seconds": LIFETIME_SECONDS,
        "outcomes": [asdict(o) for o in outcomes],
    }
    (args.out / "lock_race.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
