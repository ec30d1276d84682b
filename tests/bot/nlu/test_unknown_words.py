"""bot/nlu/unknown_words.py: gibberish loses its confidence, typos and names do not."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.constants import SPACY_DOCS
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.unknown_words import UnknownWordsGuard, Vocabulary, _within, content_words
from bot.settings import ROOT

TRAINING = [
    "where is my order",
    "I want to return these boots",
    "cancel my order please",
    "what time do you open on saturday",
    "hello there",
]


@pytest.fixture(scope="module")
def nlp() -> spacy.language.Language:
    return spacy.load(ROOT / "models" / "spacy" / "relay_en")


def _example(text: str, nlp: spacy.language.Language) -> Message:
    message = Message.build(text, "greet", None, None, None)
    # Rasa's SpacyNLP runs with case_sensitive: false, so the doc is lowercased.
    message.set(SPACY_DOCS[TEXT], nlp(text.lower()))
    return message


def _message(text: str, nlp: spacy.language.Language, confidence: float = 0.99) -> Message:
    message = _example(text, nlp)
    message.set(INTENT, {"name": "order_status", "confidence": confidence})
    message.set(
        INTENT_RANKING_KEY,
        [
            {"name": "order_status", "confidence": confidence},
            {"name": "greet", "confidence": 1 - confidence},
        ],
    )
    return message


@pytest.fixture
def guard(tmp_path: Path, nlp: spacy.language.Language) -> UnknownWordsGuard:
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    component = UnknownWordsGuard.create(
        UnknownWordsGuard.get_default_config(), storage, Resource("unknown"), context
    )
    data = TrainingData([_example(text, nlp) for text in TRAINING])
    resource = component.train(data)
    return UnknownWordsGuard.load(
        UnknownWordsGuard.get_default_config(), storage, resource, context
    )


def confidence(guard: UnknownWordsGuard, text: str, nlp: spacy.language.Language) -> float:
    [message] = guard.process([_message(text, nlp)])
    return message.get(INTENT)["confidence"]


def test_edit_distance_is_bounded() -> None:
    assert _within("ordr", "order", 1)
    assert _within("retrun", "return", 2) and not _within("retrun", "return", 1)
    assert not _within("zorbly", "order", 2)


def test_known_words_and_their_typos_keep_full_confidence(guard, nlp) -> None:
    assert confidence(guard, "where is my order", nlp) == pytest.approx(0.99)
    assert confidence(guard, "wher is my ordr", nlp) == pytest.approx(0.99)
    assert confidence(guard, "helloooo", nlp) == pytest.approx(0.99)


def test_gibberish_loses_its_confidence(guard, nlp) -> None:
    assert confidence(guard, "zorbly wibble frumious", nlp) == 0.0
    [message] = guard.process([_message("zorbly wibble frumious", nlp)])
    assert all(entry["confidence"] == 0.0 for entry in message.get(INTENT_RANKING_KEY))
    assert message.get("unknown_words") == {
        "share": 1.0,
        "words": ["zorbly", "wibble", "frumious"],
    }


def test_confidence_is_scaled_by_the_share_of_known_words(guard, nlp) -> None:
    # "order" known, "quantum" and "flux" unknown: two thirds unknown.
    assert confidence(guard, "order quantum flux", nlp) == pytest.approx(0.99 / 3)


def test_one_unknown_word_among_known_ones_changes_nothing(guard, nlp) -> None:
    assert confidence(guard, "cancel my order for the kayak", nlp) == pytest.approx(0.99)


def test_names_are_not_counted_as_unknown(nlp) -> None:
    text = "hello, Jakub Nowak here"
    words = [word for word, _ in content_words(nlp(text.lower()), 3, text)]
    assert words == ["hello"]


def test_without_a_vocabulary_nothing_changes(tmp_path: Path, nlp) -> None:
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    untrained = UnknownWordsGuard.load({}, storage, Resource("missing"), context)
    [message] = untrained.process([_message("zorbly wibble frumious", nlp)])
    assert message.get(INTENT)["confidence"] == pytest.approx(0.99)


def test_vocabulary_lookup_needs_four_letters_for_typos() -> None:
    vocabulary = Vocabulary({"cat", "order"})
    assert vocabulary.knows("cat") and not vocabulary.knows("cap")
    assert vocabulary.knows("oder") and not vocabulary.knows("odre")


def test_loaded_for_finetuning_it_learns_the_new_vocabulary(tmp_path: Path, nlp) -> None:
    # `rasa train --finetune` builds each component with load(), then calls train().
    storage = LocalModelStorage(tmp_path)
    config = UnknownWordsGuard.get_default_config()
    created = UnknownWordsGuard.create(
        config, storage, Resource("unknown"), ExecutionContext(GraphSchema({}), "test")
    )
    resource = created.train(TrainingData([_example(text, nlp) for text in TRAINING]))
    finetuning = ExecutionContext(GraphSchema({}), "test", is_finetuning=True)
    loaded = UnknownWordsGuard.load(config, storage, resource, finetuning)
    texts = [*TRAINING, "zorbly wibble frumious"]

    assert loaded.train(TrainingData([_example(text, nlp) for text in texts])) == resource

    reloaded = UnknownWordsGuard.load(
        config, storage, resource, ExecutionContext(GraphSchema({}), "test")
    )
    assert confidence(reloaded, "zorbly wibble frumious", nlp) == pytest.approx(0.99)
    assert confidence(reloaded, "where is my order", nlp) == pytest.approx(0.99)
