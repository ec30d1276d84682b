"""The shop's handoff rules from shop/handoff.yml: reasons, priorities, queue settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REASON_CODES = ("request_human", "frustration", "not_understood", "always_human")


class HandoffRulesError(ValueError):
    """The handoff file is missing a key or has a malformed value."""


@dataclass(frozen=True)
class Reason:
    code: str
    label: str
    priority: int


@dataclass(frozen=True)
class HandoffRules:
    reasons: dict[str, Reason]
    always_human_intents: dict[str, str] = field(default_factory=dict)
    default_handle_minutes: float = 6.0
    agent_online_seconds: float = 90.0
    follow_up_hours: float = 2.0

    def reason(self, code: str) -> Reason:
        return self.reasons[code]


def parse_rules(raw: dict[str, Any]) -> HandoffRules:
    reasons_raw = raw.get("reasons") or {}
    missing = [code for code in REASON_CODES if code not in reasons_raw]
    if missing:
        raise HandoffRulesError(f"handoff rules: no entry under `reasons` for {', '.join(missing)}")
    reasons = {}
    for code, entry in reasons_raw.items():
        if not isinstance(entry, dict):
            raise HandoffRulesError(f"handoff rules: reasons.{code} needs a label and a priority")
        priority = entry.get("priority", 3)
        if priority not in (1, 2, 3):
            raise HandoffRulesError(f"handoff rules: reasons.{code}.priority must be 1, 2 or 3")
        reasons[code] = Reason(code=code, label=str(entry.get("label") or code), priority=priority)
    return HandoffRules(
        reasons=reasons,
        always_human_intents={
            str(k): str(v) for k, v in (raw.get("always_human_intents") or {}).items()
        },
        default_handle_minutes=float(raw.get("default_handle_minutes", 6)),
        agent_online_seconds=float(raw.get("agent_online_seconds", 90)),
        follow_up_hours=float(raw.get("follow_up_hours", 2)),
    )


def load_rules(path: Path) -> HandoffRules:
    with path.open(encoding="utf-8") as handle:
        return parse_rules(yaml.safe_load(handle) or {})
