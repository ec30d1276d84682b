"""bot/nlu/spacy_model.py: the spaCy pipeline (tokenizer, lookup lemmas, entity patterns)."""

from __future__ import annotations

import pytest

from bot.nlu.spacy_model import PIPELINE_NAME, build, read_patterns
from bot.settings import ROOT

PATTERNS = ROOT / "data" / "patterns" / "entities.jsonl"


@pytest.fixture(scope="module")
def nlp():
    return build(read_patterns(PATTERNS))


def entities(nlp, text: str) -> list[tuple[str, str]]:
    return [(span.text, span.label_) for span in nlp(text).ents]


def test_pipeline_components(nlp):
    assert nlp.meta["name"] == PIPELINE_NAME
    assert nlp.pipe_names == ["lemmatizer", "entity_ruler"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("where is my order #100231?", [("#100231", "order_id")]),
        ("order 100231 please", [("100231", "order_id")]),
        ("100231", [("100231", "order_id")]),
        ("is #100245 or 100198 cancelled", [("#100245", "order_id"), ("100198", "order_id")]),
    ],
)
def test_order_numbers_are_entities(nlp, text, expected):
    assert entities(nlp, text) == expected


@pytest.mark.parametrize(
    "text", ["I paid 1000 pounds", "order 12345", "order 1002311", "order 10023a"]
)
def test_other_numbers_are_not_order_numbers(nlp, text):
    assert entities(nlp, text) == []


def test_email_is_an_entity(nlp):
    assert entities(nlp, "my email is Maya.Patel@example.com.") == [
        ("Maya.Patel@example.com", "email")
    ]


def test_order_number_and_email_together(nlp):
    assert entities(nlp, "cancel 100245, I'm maya.patel@example.com") == [
        ("100245", "order_id"),
        ("maya.patel@example.com", "email"),
    ]


@pytest.mark.parametrize(
    ("word", "lemma"),
    [("ordered", "order"), ("orders", "order"), ("ordering", "order"), ("returned", "return")],
)
def test_lemmas(nlp, word, lemma):
    assert nlp(f"I {word} it")[1].lemma_ == lemma


def test_the_pattern_file_has_order_and_email_patterns():
    labels = [pattern["label"] for pattern in read_patterns(PATTERNS)]
    assert sorted(set(labels)) == ["email", "order_id"]


def test_comments_and_blank_lines_are_skipped(tmp_path):
    path = tmp_path / "patterns.jsonl"
    path.write_text(
        '# a comment\n\n   \n{"label": "email", "pattern": [{"LIKE_EMAIL": true}]}\n',
        encoding="utf-8",
    )
    assert read_patterns(path) == [{"label": "email", "pattern": [{"LIKE_EMAIL": True}]}]


def test_invalid_json_names_the_line(tmp_path):
    path = tmp_path / "patterns.jsonl"
    path.write_text('# comment\n{"label": "email", "pattern": []}\n{"label": \n', encoding="utf-8")
    with pytest.raises(ValueError, match=rf"{path.name}:3: not valid JSON"):
        read_patterns(path)


@pytest.mark.parametrize(
    "line", ['{"label": "email"}', '{"pattern": "x"}', '["label", "pattern"]', '"text"']
)
def test_pattern_without_label_and_pattern_names_the_line(tmp_path, line):
    path = tmp_path / "patterns.jsonl"
    path.write_text(f'\n{{"label": "email", "pattern": []}}\n{line}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=rf"{path.name}:3: a pattern needs 'label' and 'pattern'"):
        read_patterns(path)
