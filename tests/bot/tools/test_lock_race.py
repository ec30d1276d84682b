"""bot/tools/lock_race.py: the race between lock stores, on a real redis-server."""

from __future__ import annotations

import json
from pathlib import Path

from bot.tools.lock_race import main, race, relay_store

RASA = "rasa.core.lock_store.RedisLockStore"
RELAY = "bot.ops.redis_lock_store.RedisLockStore"


def test_relays_store_never_lets_two_holders_in(redis_url: str) -> None:
    outcome = race(RELAY, relay_store(redis_url), workers=3, rounds=10)
    assert (outcome.workers, outcome.rounds) == (3, 10)
    assert outcome.held == 30
    assert outcome.overlaps == 0
    assert outcome.lock_errors == 0
    assert outcome.other_errors == 0


def test_main_writes_both_stores_outcomes(redis_url: str, tmp_path: Path) -> None:
    out = tmp_path / "lock_race"
    argv = ["--redis-url", redis_url, "--workers", "2", "--rounds", "3", "--out", str(out)]
    assert main(argv) == 0

    report = json.loads((out / "lock_race.json").read_text(encoding="utf-8"))
    assert report["hold_seconds"] > 0
    assert report["lifetime_seconds"] > 0
    outcomes = {outcome["store"]: outcome for outcome in report["outcomes"]}
    assert set(outcomes) == {RASA, RELAY}
    for outcome in outcomes.values():
        assert (outcome["workers"], outcome["rounds"]) == (2, 3)
        # Every round ends one way or another (Rasa's overlaps are racy: not asserted).
        assert outcome["held"] + outcome["lock_errors"] + outcome["other_errors"] == 6
        assert outcome["seconds"] >= 0
    relay = outcomes[RELAY]
    assert (relay["held"], relay["overlaps"], relay["lock_errors"]) == (6, 0, 0)
    assert relay["other_errors"] == 0
