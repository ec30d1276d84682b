from __future__ import annotations

from pathlib import Path

import pytest
import spacy
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.constants import SPACY_DOCS
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.sentiment import SentimentAnalyzer, sentiment_label
from bot.settings import ROOT

EXAMPLES = {
    "negative": ["this is awful", "worst delivery ever", "I'm not happy at all", "useless!!"],
    "neutral": ["where is my order", "what time do you open", "cancel my order please", "hi"],
    "positive": ["thank you so much", "brilliant service", "not bad at all", "love it"],
}


@pytest.fixture(scope="module")
def nlp() -> spacy.language.Language:
    return spacy.load(ROOT / "models" / "spacy" / "relay_en")


def _message(text: str, nlp: spacy.language.Language, **metadata: object) -> Message:
    message = Message.build(text, "greet", None, metadata or None, None)
    message.set(SPACY_DOCS[TEXT], nlp(text.lower()))
    return message


def _training_data(nlp: spacy.language.Language) -> TrainingData:
    messages = [
        _message(text, nlp, sentiment=label) for label, texts in EXAMPLES.items() for text in texts
    ]
    messages.append(_message("an example without a label", nlp))
    return TrainingData(messages)


@pytest.fixture
def storage(tmp_path: Path) -> LocalModelStorage:
    return LocalModelStorage(tmp_path)


def _component(storage: LocalModelStorage, **config: object) -> SentimentAnalyzer:
    context = ExecutionContext(GraphSchema({}), "test")
    return SentimentAnalyzer.create(
        {**SentimentAnalyzer.get_default_config(), "min_examples": 6, **config},
        storage,
        Resource("sentiment"),
        context,
    )


def test_default_config() -> None:
    assert SentimentAnalyzer.get_default_config() == {
        "use_spacy": True,
        "negation_scope": 3,
        "regularisation": 5.0,
        "char_ngrams": True,
        "negative_threshold": None,
        "min_examples": 30,
        "random_seed": 42,
    }


def test_labels_come_from_example_or_intent_metadata() -> None:
    intent_level = Message.build("x", "greet", None, {"sentiment": "positive"}, None)
    example_level = Message.build(
        "x", "greet", None, {"sentiment": "positive"}, {"sentiment": "negative"}
    )
    assert sentiment_label(intent_level) == "positive"
    assert sentiment_label(example_level) == "negative"
    assert sentiment_label(Message.build("x", "greet")) is None


def test_trains_persists_loads_and_adds_sentiment_to_messages(
    storage: LocalModelStorage, nlp: spacy.language.Language
) -> None:
    component = _component(storage)
    resource = component.train(_training_data(nlp))
    loaded = SentimentAnalyzer.load(
        {**SentimentAnalyzer.get_default_config()},
        storage,
        resource,
        ExecutionContext(GraphSchema({}), "test"),
    )
    messages = loaded.process([_message("this is awful", nlp), _message("thank you so much", nlp)])
    negative, positive = (message.get("sentiment") for message in messages)
    assert negative["label"] == "negative" and negative["score"] < 0
    assert positive["label"] == "positive" and positive["score"] > 0
    assert "sentiment" in messages[0].as_dict(only_output_properties=True)


def test_empty_message_is_neutral(storage: LocalModelStorage, nlp: spacy.language.Language) -> None:
    component = _component(storage)
    component.train(_training_data(nlp))
    message = component.process([_message("  ", nlp)])[0]
    assert message.get("sentiment") == {"label": "neutral", "score": 0.0, "confidence": 0.0}


def test_without_spacy_it_tokenises_the_raw_text(storage: LocalModelStorage) -> None:
    component = _component(storage, use_spacy=False)
    messages = [
        Message.build(text, "greet", None, {"sentiment": label}, None)
        for label, texts in EXAMPLES.items()
        for text in texts
    ]
    component.train(TrainingData(messages))
    result = component.process([Message.build("worst ever, awful")])[0].get("sentiment")
    assert result["label"] == "negative"


def test_spacy_mode_without_a_spacy_doc_says_what_is_missing(storage: LocalModelStorage) -> None:
    component = _component(storage, min_examples=1)
    data = TrainingData([Message.build("hi", "greet", None, {"sentiment": "neutral"})])
    with pytest.raises(InvalidConfigException, match="SpacyNLP"):
        component.train(data)


def test_unknown_label_names_the_example(
    storage: LocalModelStorage, nlp: spacy.language.Language
) -> None:
    data = _training_data(nlp)
    data.training_examples.append(_message("grr", nlp, sentiment="angry"))
    with pytest.raises(InvalidConfigException, match="'angry'.*grr|grr.*angry"):
        _component(storage).train(TrainingData(data.training_examples))


def test_too_few_labelled_examples_is_a_clear_error(
    storage: LocalModelStorage, nlp: spacy.language.Language
) -> None:
    with pytest.raises(InvalidConfigException, match="needs at least 30"):
        _component(storage, min_examples=30).train(_training_data(nlp))


def test_missing_model_loads_with_every_message_neutral(
    storage: LocalModelStorage, nlp: spacy.language.Language
) -> None:
    component = SentimentAnalyzer.load(
        SentimentAnalyzer.get_default_config(),
        storage,
        Resource("never-trained"),
        ExecutionContext(GraphSchema({}), "test"),
    )
    message = component.process([_message("this is awful", nlp)])[0]
    assert message.get("sentiment")["label"] == "neutral"


def test_loaded_for_finetuning_it_learns_the_new_data_from_scratch(
    storage: LocalModelStorage, nlp: spacy.language.Language
) -> None:
    # `rasa train --finetune` builds each component with load(), then calls train().
    resource = _component(storage).train(_training_data(nlp))
    config = {**SentimentAnalyzer.get_default_config(), "min_examples": 6}
    finetuning = ExecutionContext(GraphSchema({}), "test", is_finetuning=True)
    loaded = SentimentAnalyzer.load(config, storage, resource, finetuning)
    swapped = {"negative": "positive", "neutral": "neutral", "positive": "negative"}
    relabelled = TrainingData(
        [
            _message(text, nlp, sentiment=swapped[label])
            for label, texts in EXAMPLES.items()
            for text in texts
        ]
    )

    assert loaded.train(relabelled) == resource

    reloaded = SentimentAnalyzer.load(
        config, storage, resource, ExecutionContext(GraphSchema({}), "test")
    )
    [awful] = reloaded.process([_message("this is awful", nlp)])
    assert awful.get("sentiment")["label"] == "positive"
