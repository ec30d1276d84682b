"""Rasa's check of every action server answer, without re-checking its own schema each time.

Rasa 3.6 validates each answer of the action server (`RemoteAction._validate_action_result`)
with `jsonschema.validate`, which first checks the schema itself against JSON Schema's
metaschema and builds a new validator, then validates. For Rasa's schema of events that
is most of the work, on every action call, on the event loop: `make profile-turns --gil`
found it at 42% of the Rasa server's Python CPU while it served ten customers
(docs/performance.md, "Where a turn's CPU goes"). `install()` replaces the method by one
that validates against the same schema (Rasa's `action_response_format_spec()`, per
class) with a validator made once, and raises what Rasa raises: the same best-matching
`ValidationError`, with Rasa's explanation added to its message.

The Rasa server calls `install()` before it serves (bot/tools/rasa_server.py);
RELAY_RASA_ACTION_CHECK=rasa leaves Rasa's own check, for comparison.
"""

from __future__ import annotations

import functools
import os
from typing import Any

ENV_CHECK = "RELAY_RASA_ACTION_CHECK"
RASA_CHECK = "rasa"  # the value of ENV_CHECK that keeps Rasa's own check
_ORIGINAL = "_relay_original_validate_action_result"


@functools.cache
def validator_for(action_class: Any) -> Any:
    """One validator of `action_class`'s answer schema, its schema checked once."""
    from jsonschema.validators import validator_for as kind_of

    schema = action_class.action_response_format_spec()
    kind = kind_of(schema)
    kind.check_schema(schema)  # as jsonschema.validate does, but once
    return kind(schema)


def validate_action_result(self: Any, result: dict[str, Any]) -> bool:
    """`RemoteAction._validate_action_result` with one validator per class, made once."""
    from jsonschema import ValidationError
    from jsonschema.exceptions import best_match
    from rasa.shared.constants import DOCS_BASE_URL

    action_class: Any = type(self)
    error: ValidationError | None = best_match(validator_for(action_class).iter_errors(result))
    if error is None:
        return True
    error.message += (
        f". Failed to validate Action server response from API, "
        f"make sure your response from the Action endpoint is valid. "
        f"For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error


def install() -> bool:
    """Puts the check above in place of Rasa's. Idempotent; False (nothing done) when
    ENV_CHECK is RASA_CHECK."""
    if os.environ.get(ENV_CHECK, "").strip().lower() == RASA_CHECK:
        return False
    from rasa.core.actions.action import RemoteAction

    if not hasattr(RemoteAction, _ORIGINAL):
        setattr(RemoteAction, _ORIGINAL, RemoteAction.__dict__["_validate_action_result"])
        RemoteAction._validate_action_result = validate_action_result
    return True


def uninstall() -> None:
    """Puts Rasa's own check back (tests)."""
    from rasa.core.actions.action import RemoteAction

    original = RemoteAction.__dict__.get(_ORIGINAL)
    if original is not None:
        RemoteAction._validate_action_result = original
        delattr(RemoteAction, _ORIGINAL)
