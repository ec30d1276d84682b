"""Builds Relay's spaCy pipeline package: English tokenizer, lookup lemmatizer, entity ruler.

No pretrained weights are involved: the tokenizer rules and lemma tables ship
with spaCy and spacy-lookups-data, and the entity patterns (order numbers,
emails) come from a JSONL file trainers edit. Rasa's SpacyNLP loads the result
by path (see config.yml).

    python -m bot.nlu.spacy_model --patterns data/patterns/entities.jsonl \
        --out models/spacy/relay_en
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language

PIPELINE_NAME = "relay_en"


def read_patterns(path: Path) -> list[dict[str, Any]]:
    """Reads entity-ruler patterns, one JSON object per line; blank lines and # comments skipped."""
    patterns = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            pattern = json.loads(line)
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}:{number}: not valid JSON ({error.msg})") from error
        if not isinstance(pattern, dict) or {"label", "pattern"} - pattern.keys():
            raise ValueError(f"{path}:{number}: a pattern needs 'label' and 'pattern' keys")
        patterns.append(pattern)
    return patterns


def build(patterns: list[dict[str, Any]]) -> Language:
    """A blank English pipeline with lookup lemmas and the given entity patterns."""
    nlp = spacy.blank("en")
    nlp.meta["name"] = PIPELINE_NAME
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    ruler = nlp.add_pipe("entity_ruler")
    nlp.initialize()
    # Patterns go in after initialize(), which would otherwise reset the ruler.
    ruler.add_patterns(patterns)  # type: ignore[attr-defined]
    return nlp


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patterns", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    nlp = build(read_patterns(args.patterns))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(args.out)
    print(f"spaCy pipeline with {len(nlp.pipe_names)} components written to {args.out}")


if __name__ == "__main__":
    main()
