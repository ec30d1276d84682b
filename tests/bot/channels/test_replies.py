"""bot/channels/replies.py: sentences channels say themselves come from domain.yml."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.channels.replies import MissingResponse, domain_text


@pytest.mark.parametrize(
    "name",
    ["utter_service_unavailable", "utter_slow_down", "utter_message_too_long"],
)
def test_the_channels_sentences_are_in_the_domain(name: str) -> None:
    assert len(domain_text(name)) > 20


def test_a_missing_response_is_an_error_naming_it(tmp_path: Path) -> None:
    domain = tmp_path / "domain.yml"
    domain.write_text('responses:\n  utter_image:\n    - image: "x.png"\n', encoding="utf-8")
    with pytest.raises(MissingResponse, match="utter_nothing"):
        domain_text("utter_nothing", domain)
    with pytest.raises(MissingResponse, match="utter_image"):
        domain_text("utter_image", domain)
