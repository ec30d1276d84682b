"""Turns a message into the terms the sentiment model reads.

With spaCy (the default) a message becomes its lemmas ("was" -> "be", "n't" ->
"not", "arrived" -> "arrive"), with order numbers and emails from the entity
patterns masked as ``<order_id>`` / ``<email>`` so that no particular number
carries a sentiment. Without spaCy (the ablation in the evaluation report) it is
lower-cased words split by a regular expression.

Either way, words after a negation are marked until the clause ends
("not bad" -> ``not not_bad``), and emphasis from the raw text is appended
(``<shouting>``, ``<exclamations>``, ...).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from spacy.tokens import Doc

from bot.nlu.emphasis import emphasis

NEGATORS = frozenset(
    {"not", "n't", "no", "never", "nothing", "nobody", "none", "nor", "neither"}
    | {"hardly", "barely", "without", "cannot", "cant", "dont", "didnt", "doesnt", "isnt"}
    | {"wasnt", "wont", "havent", "hasnt", "couldnt", "wouldnt", "aint"}
)
# A negation's scope ends at punctuation or a contrast ("not cheap, but worth it").
SCOPE_BREAKERS = frozenset({".", ",", ";", ":", "!", "?", "but", "though", "although", "however"})
MASKED_ENTITIES = frozenset({"order_id", "email"})
_PLAIN_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)?|[^\w\s]", re.UNICODE)


def spacy_terms(doc: Doc) -> list[str]:
    """Lower-cased lemmas of a spaCy doc, with pattern entities masked."""
    terms: list[str] = []
    for token in doc:
        if token.is_space:
            continue
        if token.ent_type_ in MASKED_ENTITIES:
            mask = f"<{token.ent_type_}>"
            if not (terms and terms[-1] == mask):
                terms.append(mask)
            continue
        terms.append((token.lemma_ or token.text).lower())
    return terms


def plain_terms(text: str) -> list[str]:
    """Lower-cased words and punctuation, split by a regular expression (no spaCy)."""
    return _PLAIN_TOKEN.findall(text.lower())


def _is_negator(term: str) -> bool:
    return term in NEGATORS or term.endswith("n't")


def mark_negation(terms: Iterable[str], scope: int) -> list[str]:
    """Prefixes up to `scope` terms after a negator with ``not_``, within the clause."""
    marked: list[str] = []
    remaining = 0
    for term in terms:
        if term in SCOPE_BREAKERS:
            remaining = 0
            marked.append(term)
        elif _is_negator(term):
            remaining = scope
            marked.append(term)
        elif remaining > 0:
            remaining -= 1
            marked.append(f"not_{term}")
        else:
            marked.append(term)
    return marked


def document(text: str, doc: Doc | None, negation_scope: int) -> str:
    """The space-separated terms the model sees for one message.

    Args:
        text: the message as the customer wrote it (capitals and all).
        doc: its spaCy doc, or None to tokenise without spaCy.
        negation_scope: how many terms after a negator are marked.
    """
    terms = spacy_terms(doc) if doc is not None else plain_terms(text)
    return " ".join(mark_negation(terms, negation_scope) + emphasis(text).markers())
