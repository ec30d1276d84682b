from __future__ import annotations

import structlog

from bot.tools.rasa_logs import quiet_rasa_logs


def test_rasa_structured_logs_are_filtered_at_warning() -> None:
    quiet_rasa_logs()
    assert structlog.get_config()["wrapper_class"].__name__ == "BoundLoggerFilteringAtWarning"
