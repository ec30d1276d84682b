"""MessageLengthLimit: caps how much of a message the NLU pipeline reads.

A support message longer than a few thousand characters is pasted junk or an
attack, and DIET's attention cost grows with the square of the token count: a
100,000-character message would stall the server for every customer. The first
`max_characters` are parsed; the conversation still records the full text.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

MAX_CHARACTERS = "max_characters"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class MessageLengthLimit(GraphComponent):
    """Cuts each message's text to `max_characters` before the rest of the pipeline."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # Longer messages are cut here (whole words kept where possible).
            MAX_CHARACTERS: 5000,
        }

    def __init__(self, config: dict[str, Any]) -> None:
        self._limit = int({**self.get_default_config(), **config}[MAX_CHARACTERS])

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MessageLengthLimit:
        return cls(config)

    def clip(self, text: str) -> str:
        if len(text) <= self._limit:
            return text
        clipped = text[: self._limit]
        space = clipped.rfind(" ")
        return clipped[:space] if space > self._limit // 2 else clipped

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str) and len(text) > self._limit:
                message.set(TEXT, self.clip(text))
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data
