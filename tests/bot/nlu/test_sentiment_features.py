from __future__ import annotations

from collections.abc import Callable

import pytest
import spacy
from spacy.tokens import Doc

from bot.nlu.sentiment_features import document, mark_negation, plain_terms, spacy_terms
from bot.settings import ROOT


@pytest.fixture(scope="module")
def nlp() -> Callable[[str], Doc]:
    return spacy.load(ROOT / "models" / "spacy" / "relay_en")


def test_spacy_terms_are_lemmas_with_order_ids_and_emails_masked(nlp: Callable[[str], Doc]) -> None:
    terms = spacy_terms(nlp("my orders 100231 and #100245 went to maya@example.com"))
    assert terms == ["my", "order", "<order_id>", "and", "<order_id>", "go", "to", "<email>"]


def test_spacy_splits_contracted_negations(nlp: Callable[[str], Doc]) -> None:
    assert spacy_terms(nlp("it wasn't good")) == ["it", "be", "not", "good"]


def test_plain_terms_keep_words_and_punctuation() -> None:
    assert plain_terms("It wasn't GOOD!") == ["it", "wasn't", "good", "!"]


def test_negation_marks_the_clause_after_the_negator() -> None:
    marked = mark_negation(["not", "bad", "at", "all", ",", "but", "slow"], scope=3)
    assert marked == ["not", "not_bad", "not_at", "not_all", ",", "but", "slow"]


def test_negation_scope_is_limited() -> None:
    marked = mark_negation(["never", "a", "great", "idea", "really"], scope=2)
    assert marked == ["never", "not_a", "not_great", "idea", "really"]


def test_contracted_negators_without_spacy() -> None:
    assert mark_negation(["wasn't", "good"], scope=3) == ["wasn't", "not_good"]


def test_document_appends_emphasis_from_the_raw_text(nlp: Callable[[str], Doc]) -> None:
    text = "NOT HAPPY!!!"
    assert document(text, nlp(text.lower()), 3) == "not not_happy ! ! ! <shouting> <exclamations>"
    assert document(text, None, 3) == "not not_happy ! ! ! <shouting> <exclamations>"
