"""Keeps Rasa's logging out of the way of a command-line tool's own output."""

from __future__ import annotations

import logging


def quiet_rasa_logs() -> None:
    """Only warnings from Rasa: its per-message debug lines would bury a tool's progress output."""
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
