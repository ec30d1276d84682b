"""The scikit-learn model behind Relay's sentiment: TF-IDF features, logistic regression.

It reads the documents built by `bot.nlu.sentiment_features` (lemmas with
negation marks and emphasis markers). Word uni- and bigrams catch phrases
("not_happy", "third time"); character n-grams catch typos and stretched words.
The score is P(positive) - P(negative), so it lies in [-1, 1]. The label is the
most probable class, except that a message whose P(negative) reaches the negative
threshold is labelled negative: missing an unhappy customer costs more than a
false alarm (the threshold is chosen by cross-validation, see `make tune-sentiment`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

NEGATIVE, NEUTRAL, POSITIVE = "negative", "neutral", "positive"
LABELS = (NEGATIVE, NEUTRAL, POSITIVE)


@dataclass(frozen=True)
class Sentiment:
    """One message's sentiment: a label, a score in [-1, 1] and the label's probability."""

    label: str
    score: float
    confidence: float

    def as_dict(self) -> dict[str, Any]:
        return {"label": self.label, "score": self.score, "confidence": self.confidence}


NEUTRAL_SENTIMENT = Sentiment(NEUTRAL, 0.0, 0.0)


def _pipeline(regularisation: float, char_ngrams: bool, seed: int) -> Pipeline:
    words = TfidfVectorizer(
        token_pattern=r"\S+", lowercase=False, ngram_range=(1, 2), sublinear_tf=True
    )
    features: list[tuple[str, Any]] = [("words", words)]
    if char_ngrams:
        chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
        features.append(("chars", chars))
    classifier = LogisticRegression(
        C=regularisation, class_weight="balanced", max_iter=5000, random_state=seed
    )
    return Pipeline([("features", FeatureUnion(features)), ("classifier", classifier)])


class SentimentModel:
    """A trained three-class sentiment classifier."""

    def __init__(self, pipeline: Pipeline, negative_threshold: float | None = None) -> None:
        self._pipeline = pipeline
        self.negative_threshold = negative_threshold
        classes = list(pipeline.classes_)
        self._index = {label: classes.index(label) for label in classes}

    @property
    def pipeline(self) -> Pipeline:
        """The fitted scikit-learn pipeline (what gets persisted)."""
        return self._pipeline

    @classmethod
    def train(
        cls,
        documents: Sequence[str],
        labels: Sequence[str],
        regularisation: float = 5.0,
        char_ngrams: bool = True,
        seed: int = 42,
        negative_threshold: float | None = None,
    ) -> SentimentModel:
        """Fits a model; every label must be one of `LABELS`, and at least two must occur."""
        unknown = sorted(set(labels) - set(LABELS))
        if unknown:
            raise ValueError(f"unknown sentiment labels {unknown}; use one of {list(LABELS)}")
        if len(set(labels)) < 2:
            raise ValueError("sentiment training needs examples of at least two labels")
        pipeline = _pipeline(regularisation, char_ngrams, seed)
        pipeline.fit(list(documents), list(labels))
        return cls(pipeline, negative_threshold)

    def _probability(self, row: npt.NDArray[np.float64], label: str) -> float:
        index = self._index.get(label)
        return float(row[index]) if index is not None else 0.0

    def predict(self, documents: Sequence[str]) -> list[Sentiment]:
        """The sentiment of each document."""
        if not documents:
            return []
        rows = self._pipeline.predict_proba(list(documents))
        classes = list(self._pipeline.classes_)
        results = []
        for row in rows:
            best = int(np.argmax(row))
            negative = self._probability(row, NEGATIVE)
            if self.negative_threshold is not None and negative >= self.negative_threshold:
                best = classes.index(NEGATIVE)
            score = self._probability(row, POSITIVE) - negative
            results.append(Sentiment(classes[best], round(score, 4), round(float(row[best]), 4)))
        return results
