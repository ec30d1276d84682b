from __future__ import annotations

import pytest

from bot.nlu.emphasis import emphasis, shouting


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("WHERE IS MY ORDER", True),
        ("where is MY ORDER NOW", True),
        ("I ordered from UK", False),  # one acronym is not shouting
        ("OK", False),
        ("where is my order", False),
        ("100231 100245", False),
    ],
)
def test_shouting_needs_most_words_in_capitals(text: str, expected: bool) -> None:
    assert shouting(text) is expected


def test_emphasis_finds_runs_of_punctuation_and_stretched_words() -> None:
    signs = emphasis("whyyy?!?! seriously!!")
    assert signs.interrobang and signs.exclamations and signs.stretched
    assert signs.punctuation
    assert "<interrobang>" in signs.markers() and "<stretched>" in signs.markers()


def test_a_calm_question_has_no_emphasis() -> None:
    signs = emphasis("Where is my order? It was due yesterday.")
    assert not signs.punctuation and not signs.shouting
    assert signs.markers() == []


def test_double_question_marks_count() -> None:
    assert emphasis("hello??").questions
