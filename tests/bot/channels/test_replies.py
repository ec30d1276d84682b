"""bot/channels/replies.py: sentences channels say themselves come from domain.yml."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.channels.replies import DOMAIN_FILE, MissingResponse, Replies


@pytest.fixture
def domain(tmp_path: Path) -> Path:
    path = tmp_path / "domain.yml"
    path.write_text(
        "responses:\n"
        "  utter_slow_down:\n    - text: Slow down, please.\n    - text: Easy there.\n"
        '  utter_image:\n    - image: "x.png"\n',
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    "name",
    ["utter_service_unavailable", "utter_slow_down", "utter_message_too_long"],
)
def test_the_channels_sentences_are_in_the_domain(name: str) -> None:
    assert Replies().path == DOMAIN_FILE
    assert len(Replies().text(name)) > 20


def test_a_response_is_its_first_text(domain: Path) -> None:
    assert Replies(domain).text("utter_slow_down") == "Slow down, please."


def test_a_missing_response_is_an_error_naming_it(domain: Path) -> None:
    replies = Replies(domain)
    with pytest.raises(MissingResponse, match="utter_nothing"):
        replies.text("utter_nothing")
    with pytest.raises(MissingResponse, match="utter_image"):
        replies.text("utter_image")


def test_require_names_the_first_response_missing(domain: Path) -> None:
    replies = Replies(domain)
    replies.require("utter_slow_down")
    with pytest.raises(MissingResponse, match="utter_image"):
        replies.require("utter_slow_down", "utter_image", "utter_nothing")


def test_the_file_is_read_once_when_made(domain: Path) -> None:
    replies = Replies(domain)
    domain.write_text("responses: {}\n", encoding="utf-8")
    assert replies.text("utter_slow_down") == "Slow down, please."
    with pytest.raises(MissingResponse):
        Replies(domain).text("utter_slow_down")


def test_a_missing_domain_file_fails_when_made(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        Replies(tmp_path / "nowhere.yml")
