from __future__ import annotations

from pathlib import Path

from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.length_limit import MessageLengthLimit


def test_default_config() -> None:
    assert MessageLengthLimit.get_default_config() == {"max_characters": 5000}


def test_long_messages_are_cut_at_a_word_boundary() -> None:
    limit = MessageLengthLimit({"max_characters": 20})
    [message] = limit.process([Message.build("where is my order please tell me now")])
    assert message.get("text") == "where is my order"


def test_a_run_without_spaces_is_cut_at_the_limit() -> None:
    limit = MessageLengthLimit({"max_characters": 10})
    assert limit.process([Message.build("!" * 100_000)])[0].get("text") == "!" * 10


def test_short_messages_and_training_data_are_untouched() -> None:
    limit = MessageLengthLimit({})
    data = TrainingData([Message.build("where is my order", "order_status")])
    assert limit.process_training_data(data).training_examples[0].get("text") == "where is my order"
    assert limit.process([Message.build("hi")])[0].get("text") == "hi"


def test_loaded_for_finetuning_it_keeps_its_limit(tmp_path: Path) -> None:
    # `rasa train --finetune` builds every component with load(); this one stores nothing.
    finetuning = ExecutionContext(GraphSchema({}), "test", is_finetuning=True)
    limit = MessageLengthLimit.load(
        {"max_characters": 20}, LocalModelStorage(tmp_path), Resource("limit"), finetuning
    )
    [message] = limit.process([Message.build("where is my order please tell me now")])
    assert message.get("text") == "where is my order"
