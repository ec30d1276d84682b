"""A wall clock that tests move by hand (naive UTC, as the stores keep their times)."""

from __future__ import annotations

from datetime import datetime, timedelta

START = datetime(2026, 11, 24, 11, 0, 0)


class WallClock:
    """Call it for the current time; `advance` it to let time pass."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        """Moves the clock on by a `timedelta(**delta)`."""
        self.now += timedelta(**delta)


class SecondsClock:
    """A monotonic clock in seconds (for sliding windows and expiries) moved by hand."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
