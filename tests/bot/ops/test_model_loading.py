"""bot/ops/model_loading.py: DIET loaded without a training step has Rasa's weights and answers."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.diet_classifier import DIETClassifier
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.utils.tensorflow.models import RasaModel

from bot.ops import model_loading

EXAMPLES = {
    "greet": ["hi", "hello there", "good morning", "hey"],
    "order_status": ["where is my order", "track my parcel", "has my order shipped"],
}
ORDER = "where is order NP-1234"  # with an entity, so DIET's CRF layer is built too
# Relay's DIET in miniature: one small transformer layer, intents and entities.
CONFIG = {
    "epochs": 2,
    "number_of_transformer_layers": 1,
    "transformer_size": 32,
    "constrain_similarities": True,
    "random_seed": 42,
}
QUERIES = ["hi", "where is my parcel", "good evening", "order NP-9999 please", "banana"]


@pytest.fixture(autouse=True)
def rasa_loader(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(model_loading.ENV_LOADER, raising=False)
    model_loading.uninstall()
    yield
    model_loading.uninstall()


class Pipeline:
    """A tokenizer, a featurizer and DIET, trained in a model storage of their own."""

    def __init__(self, root: Path) -> None:
        self.storage = LocalModelStorage(root)
        self.context = ExecutionContext(GraphSchema({}), "test")
        self.tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
        self.featurizer = CountVectorsFeaturizer.create(
            CountVectorsFeaturizer.get_default_config(),
            self.storage,
            Resource("featurizer"),
            self.context,
        )
        self.config = {**DIETClassifier.get_default_config(), **CONFIG}

    def messages(self, texts: list[str]) -> list[Message]:
        messages = [Message(data={"text": text}) for text in texts]
        self.tokenizer.process(messages)
        self.featurizer.process(messages)
        return messages

    def train(self) -> None:
        examples = [
            Message(data={"text": text, "intent": intent})
            for intent, texts in EXAMPLES.items()
            for text in texts
        ]
        start = ORDER.index("NP-")
        entity = {"start": start, "end": len(ORDER), "value": "NP-1234", "entity": "order_id"}
        examples.append(
            Message(data={"text": ORDER, "intent": "order_status", "entities": [entity]})
        )
        data = TrainingData(examples)
        self.tokenizer.process_training_data(data)
        self.featurizer.train(data)
        self.featurizer.process_training_data(data)
        DIETClassifier.create(self.config, self.storage, Resource("diet"), self.context).train(data)

    def load(self) -> DIETClassifier:
        return DIETClassifier.load(self.config, self.storage, Resource("diet"), self.context)


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    trained = Pipeline(tmp_path_factory.mktemp("model_storage"))
    trained.train()
    return trained


def answers(pipeline: Pipeline, classifier: DIETClassifier) -> list[dict[str, Any]]:
    messages = classifier.process(pipeline.messages(QUERIES))
    return [
        {key: message.get(key) for key in ("intent", "intent_ranking", "entities")}
        for message in messages
    ]


def test_a_model_loaded_without_a_training_step_has_rasas_weights_and_answers(
    pipeline: Pipeline,
) -> None:
    by_rasa = pipeline.load()
    assert model_loading.install() is True
    fast = pipeline.load()

    assert by_rasa.model is not None and fast.model is not None
    rasa_weights, fast_weights = by_rasa.model.get_weights(), fast.model.get_weights()
    assert len(fast_weights) == len(rasa_weights) > 10
    assert all(np.array_equal(a, b) for a, b in zip(rasa_weights, fast_weights, strict=True))
    assert answers(pipeline, fast) == answers(pipeline, by_rasa)
    assert fast.model.prepared_for_prediction  # the prediction function was traced at load


def test_install_is_idempotent_and_uninstall_puts_rasas_loader_back() -> None:
    rasas = RasaModel.__dict__["load"]

    assert model_loading.install() is True
    assert model_loading.install() is True
    assert RasaModel.__dict__["load"].__func__ is model_loading.load_without_fit
    assert "skops.io" in sys.modules  # imported before Rasa's modules fill sys.modules
    model_loading.uninstall()
    assert RasaModel.__dict__["load"] is rasas


def test_the_environment_can_keep_rasas_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    rasas = RasaModel.__dict__["load"]
    monkeypatch.setenv(model_loading.ENV_LOADER, " Rasa ")

    assert model_loading.install() is False
    assert RasaModel.__dict__["load"] is rasas


def test_fine_tuning_keeps_rasas_loader() -> None:
    calls: list[tuple[Any, ...]] = []

    class Model:
        pass

    def original(cls: type, *args: Any, **kwargs: Any) -> str:
        calls.append((cls, *args))
        return "loaded by Rasa"

    setattr(Model, model_loading._ORIGINAL, classmethod(original))

    loaded = model_loading.load_without_fit(Model, "weights", "example", None, True, "extra")

    assert loaded == "loaded by Rasa"
    assert calls == [(Model, "weights", "example", None, True, "extra")]
