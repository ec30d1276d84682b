"""SentimentAnalyzer: a Rasa NLU component that adds each message's sentiment to the parse result.

Every parsed message gets::

    "sentiment": {"label": "negative", "score": -0.83, "confidence": 0.88}

(label: negative / neutral / positive; score in [-1, 1]). It appears in
`/model/parse`, in the tracker's `parse_data` and so to policies and actions.

Training examples are ordinary NLU examples carrying a `sentiment` in their
metadata, on the intent block or on a single example::

    - intent: order_status
      metadata:
        sentiment: negative
      examples: |
        - where on earth is my parcel

Examples without a sentiment are not used. The trained scikit-learn model is
stored in Rasa's model storage (skops format, no pickle) like Rasa's own
classifiers.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import SPACY_DOCS
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import METADATA, METADATA_EXAMPLE, METADATA_INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.pipeline import Pipeline

from bot.nlu import skops_io
from bot.nlu.sentiment_features import document
from bot.nlu.sentiment_model import LABELS, NEUTRAL_SENTIMENT, SentimentModel

sio = skops_io.load()  # skops.io, without its side effect on logging
logger = logging.getLogger(__name__)

SENTIMENT = "sentiment"
# Config keys.
USE_SPACY = "use_spacy"
NEGATION_SCOPE = "negation_scope"
REGULARISATION = "regularisation"
CHAR_NGRAMS = "char_ngrams"
MIN_EXAMPLES = "min_examples"
NEGATIVE_THRESHOLD = "negative_threshold"
RANDOM_SEED = "random_seed"

MODEL_FILE = "sentiment.skops"
# Types skops does not trust by default but a fitted TF-IDF pipeline contains;
# anything else in a model file is refused instead of loaded.
TRUSTED_TYPES = ("scipy.sparse._csr.csr_matrix", "scipy.sparse._dia.dia_matrix")


def sentiment_label(message: Message) -> str | None:
    """The sentiment a training example is labelled with (example metadata wins over intent)."""
    metadata = message.get(METADATA) or {}
    for level in (METADATA_EXAMPLE, METADATA_INTENT):
        scoped = metadata.get(level)
        if isinstance(scoped, dict) and scoped.get(SENTIMENT) is not None:
            return str(scoped[SENTIMENT])
    return None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class SentimentAnalyzer(GraphComponent):
    """Classifies each message as negative, neutral or positive, with a score in [-1, 1]."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # Read lemmas and pattern entities from Rasa's spaCy doc (needs SpacyNLP
            # earlier in the pipeline); False tokenises with a regular expression.
            USE_SPACY: True,
            # How many words after "not", "never", "n't", ... count as negated.
            NEGATION_SCOPE: 3,
            # Inverse regularisation strength of the logistic regression (larger fits closer).
            REGULARISATION: 5.0,
            # Add character 2-5-grams to the word features (robust to typos).
            CHAR_NGRAMS: True,
            # Label a message negative once P(negative) reaches this, even if another
            # label is likelier (null: always the likeliest label).
            NEGATIVE_THRESHOLD: None,
            # Refuse to train on fewer labelled examples than this.
            MIN_EXAMPLES: 30,
            RANDOM_SEED: 42,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: SentimentModel | None = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._model = model

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentimentAnalyzer:
        return cls(config, model_storage, resource)

    def _document(self, message: Message) -> str:
        text = message.get(TEXT) or ""
        doc = message.get(SPACY_DOCS[TEXT]) if self._config[USE_SPACY] else None
        if self._config[USE_SPACY] and doc is None:
            raise InvalidConfigException(
                "SentimentAnalyzer with use_spacy: true needs SpacyNLP earlier in the pipeline."
            )
        return document(text, doc, self._config[NEGATION_SCOPE])

    def train(self, training_data: TrainingData) -> Resource:
        """Fits the model on every example that carries a sentiment label."""
        labelled = [
            (message, label)
            for message in training_data.training_examples
            if (label := sentiment_label(message)) is not None and message.get(TEXT)
        ]
        unknown = sorted({label for _, label in labelled} - set(LABELS))
        if unknown:
            example = next(message.get(TEXT) for message, label in labelled if label in unknown)
            raise InvalidConfigException(
                f"Unknown sentiment label(s) {unknown} (e.g. on '{example}'); "
                f"use one of {list(LABELS)}."
            )
        if len(labelled) < self._config[MIN_EXAMPLES]:
            raise InvalidConfigException(
                f"SentimentAnalyzer found {len(labelled)} examples with a sentiment label and "
                f"needs at least {self._config[MIN_EXAMPLES]}; label examples with "
                "'metadata: {sentiment: negative|neutral|positive}' (see data/nlu/sentiment/)."
            )
        self._model = SentimentModel.train(
            [self._document(message) for message, _ in labelled],
            [label for _, label in labelled],
            regularisation=self._config[REGULARISATION],
            char_ngrams=self._config[CHAR_NGRAMS],
            seed=self._config[RANDOM_SEED],
            negative_threshold=self._config[NEGATIVE_THRESHOLD],
        )
        self.persist()
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        """Adds `sentiment` to each message's parse result."""
        for message in messages:
            if self._model is None or not (message.get(TEXT) or "").strip():
                sentiment = NEUTRAL_SENTIMENT
            else:
                sentiment = self._model.predict([self._document(message)])[0]
            message.set(SENTIMENT, sentiment.as_dict(), add_to_output=True)
        return messages

    def persist(self) -> None:
        if self._model is None:
            return
        with self._model_storage.write_to(self._resource) as directory:
            sio.dump(self._model.pipeline, directory / MODEL_FILE)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> SentimentAnalyzer:
        """Loads the trained model; without one, every message is neutral (with a warning)."""
        try:
            with model_storage.read_from(resource) as directory:
                path = directory / MODEL_FILE
                untrusted = sorted(set(sio.get_untrusted_types(file=path)) - set(TRUSTED_TYPES))
                if untrusted:
                    raise InvalidConfigException(f"{path} contains untrusted types {untrusted}.")
                pipeline = sio.load(path, trusted=list(TRUSTED_TYPES))
        except (ValueError, FileNotFoundError) as error:
            logger.warning(f"No trained sentiment model ({error}); every message reads neutral.")
            return cls(config, model_storage, resource)
        if not isinstance(pipeline, Pipeline):
            raise InvalidConfigException(f"{MODEL_FILE} does not hold a scikit-learn pipeline.")
        threshold = {**cls.get_default_config(), **config}[NEGATIVE_THRESHOLD]
        return cls(config, model_storage, resource, SentimentModel(pipeline, threshold))
