"""UnknownWordsGuard: lowers the intent confidence of messages made of words never seen.

DIET always picks one of the intents it knows, often with a confidence near 1
even for gibberish ("zorbly wibble frumious" read as a complaint), so the
FallbackClassifier never fires and the bot answers nonsense confidently. This
component learns the vocabulary of the training data (spaCy's words and lemmas)
and, for each message, counts its content words (alphabetic, three letters or
more, not stop words, not names) that are neither known nor one or two typos away
from a known word. When at least `min_unknown_share` of them are unknown, every intent
confidence is multiplied by the share of known words, so the FallbackClassifier
after it treats the message as not understood. Typos of known words still count
as known ("ordr" -> "order").
"""

from __future__ import annotations

import json
import logging
import re
from collections import defaultdict
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import SPACY_DOCS
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)

MIN_UNKNOWN_SHARE = "min_unknown_share"
MIN_LENGTH = "min_length"
VOCABULARY_FILE = "vocabulary.json"
UNKNOWN_WORDS = "unknown_words"


def _within(a: str, b: str, limit: int) -> bool:
    """Whether the edit distance between a and b is at most `limit` (banded Levenshtein)."""
    if abs(len(a) - len(b)) > limit:
        return False
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, 1):
            current[j] = min(
                previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)
            )
        if min(current) > limit:
            return False
        previous = current
    return previous[-1] <= limit


class Vocabulary:
    """Known words, with a typo-tolerant lookup."""

    def __init__(self, words: set[str]) -> None:
        self.words = words
        self._by_start: dict[str, list[str]] = defaultdict(list)
        for word in words:
            self._by_start[word[:1]].append(word)

    def knows(self, word: str) -> bool:
        if word in self.words:
            return True
        if len(word) < 4:
            return False
        limit = 1 if len(word) < 7 else 2
        return any(_within(word, known, limit) for known in self._by_start[word[:1]])


STRETCHED = re.compile(r"(.)\1{2,}")


def content_words(doc: Any, min_length: int, text: str | None = None) -> list[tuple[str, str]]:
    """(lowercase text, lowercase lemma) of the words that carry meaning.

    Names (capitalised words after the first, read from the original `text`, as
    Rasa's spaCy doc may be lowercased) are left out: customers' names, places and
    brands are expected to be new. Stretched letters are squeezed ("heyyy" -> "hey").
    """
    original = text if text is not None and len(text) == len(doc.text) else doc.text
    words = []
    for token in doc:
        if not token.is_alpha or len(token.text) < min_length or token.is_stop:
            continue
        if token.i > 0 and original[token.idx : token.idx + len(token.text)].istitle():
            continue
        words.append((STRETCHED.sub(r"\1", token.lower_), (token.lemma_ or token.lower_).lower()))
    return words


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class UnknownWordsGuard(GraphComponent):
    """See the module docstring; sits after DIET and before the FallbackClassifier."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # Scale confidences down once this share of a message's content words is unknown.
            MIN_UNKNOWN_SHARE: 0.5,
            # Shorter words are ignored ("ok", "hi" and the like).
            MIN_LENGTH: 3,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        vocabulary: Vocabulary | None = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._vocabulary = vocabulary

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> UnknownWordsGuard:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        words: set[str] = set()
        for message in training_data.training_examples:
            doc = message.get(SPACY_DOCS[TEXT])
            if doc is None:
                continue
            # Every word, stop words included, so that their typos ("wher") count as known.
            for token in doc:
                if token.is_alpha:
                    words.update((token.lower_, (token.lemma_ or token.lower_).lower()))
        for table in training_data.lookup_tables:
            for element in table.get("elements") or []:
                words.update(str(element).lower().split())
        for synonym, value in training_data.entity_synonyms.items():
            words.update(str(synonym).lower().split())
            words.update(str(value).lower().split())
        self._vocabulary = Vocabulary(words)
        with self._model_storage.write_to(self._resource) as directory:
            (directory / VOCABULARY_FILE).write_text(json.dumps(sorted(words)), encoding="utf-8")
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> UnknownWordsGuard:
        try:
            with model_storage.read_from(resource) as directory:
                words = json.loads((directory / VOCABULARY_FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError) as error:
            logger.warning(f"No vocabulary ({error}); unknown words are not checked.")
            return cls(config, model_storage, resource)
        return cls(config, model_storage, resource, Vocabulary(set(words)))

    def unknown(self, message: Message) -> tuple[list[str], int]:
        """The unknown content words of a message, and how many content words it has."""
        doc = message.get(SPACY_DOCS[TEXT])
        if doc is None or self._vocabulary is None:
            return [], 0
        words = content_words(doc, self._config[MIN_LENGTH], message.get(TEXT))
        vocabulary = self._vocabulary
        unknown = [
            text
            for text, lemma in words
            if not (vocabulary.knows(text) or lemma in vocabulary.words)
        ]
        return unknown, len(words)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            intent = message.get(INTENT)
            if not intent or not intent.get("name"):
                continue
            unknown, total = self.unknown(message)
            share = len(unknown) / total if total else 0.0
            message.set(
                UNKNOWN_WORDS, {"share": round(share, 3), "words": unknown}, add_to_output=True
            )
            if total == 0 or share < self._config[MIN_UNKNOWN_SHARE]:
                continue
            factor = 1.0 - share
            intent = {**intent, PREDICTED_CONFIDENCE_KEY: intent[PREDICTED_CONFIDENCE_KEY] * factor}
            message.set(INTENT, intent, add_to_output=True)
            ranking = message.get(INTENT_RANKING_KEY) or []
            message.set(
                INTENT_RANKING_KEY,
                [
                    {**r, PREDICTED_CONFIDENCE_KEY: r[PREDICTED_CONFIDENCE_KEY] * factor}
                    for r in ranking
                ],
                add_to_output=True,
            )
        return messages
