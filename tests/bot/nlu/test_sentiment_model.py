from __future__ import annotations

import pytest

from bot.nlu.sentiment_model import LABELS, SentimentModel

DOCUMENTS = [
    "this be awful",
    "terrible service <exclamations>",
    "I be not not_happy",
    "where be my order",
    "what time do you open",
    "can I return it",
    "thank you so much",
    "brilliant , love it",
    "great help , cheers",
]
LABELLED = ["negative"] * 3 + ["neutral"] * 3 + ["positive"] * 3


@pytest.fixture(scope="module")
def model() -> SentimentModel:
    return SentimentModel.train(DOCUMENTS, LABELLED)


def test_predictions_have_a_label_a_score_in_range_and_a_confidence(model: SentimentModel) -> None:
    for sentiment in model.predict(["awful service", "love it, thank you", "open time"]):
        assert sentiment.label in LABELS
        assert -1.0 <= sentiment.score <= 1.0
        assert 0.0 < sentiment.confidence <= 1.0


def test_score_sign_follows_the_label(model: SentimentModel) -> None:
    negative, positive = model.predict(["awful terrible", "thank you , love it"])
    assert negative.label == "negative" and negative.score < 0
    assert positive.label == "positive" and positive.score > 0


def test_as_dict_is_what_the_parse_result_carries(model: SentimentModel) -> None:
    assert set(model.predict(["hello"])[0].as_dict()) == {"label", "score", "confidence"}


def test_no_documents_no_predictions(model: SentimentModel) -> None:
    assert model.predict([]) == []


def test_unknown_labels_are_refused() -> None:
    with pytest.raises(ValueError, match="angry"):
        SentimentModel.train(["grr", "ok"], ["angry", "neutral"])


def test_one_label_is_not_enough() -> None:
    with pytest.raises(ValueError, match="two labels"):
        SentimentModel.train(["ok", "fine"], ["neutral", "neutral"])


def test_a_two_label_model_scores_the_missing_label_as_zero() -> None:
    model = SentimentModel.train(["awful", "bad", "fine", "ok"], ["negative"] * 2 + ["neutral"] * 2)
    sentiment = model.predict(["awful"])[0]
    assert sentiment.label == "negative" and sentiment.score < 0


def test_a_negative_threshold_flags_messages_that_are_probably_negative() -> None:
    plain = SentimentModel.train(DOCUMENTS, LABELLED)
    cautious = SentimentModel.train(DOCUMENTS, LABELLED, negative_threshold=0.01)
    [as_usual] = plain.predict(["thank you so much"])
    [flagged] = cautious.predict(["thank you so much"])
    assert as_usual.label == "positive" and flagged.label == "negative"
    assert flagged.score == as_usual.score  # the threshold changes the label, not the score
