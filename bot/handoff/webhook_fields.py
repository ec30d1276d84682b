"""Which ticket fields the outgoing webhook may send (RELAY_WEBHOOK_FIELDS).

By default only fields without personal data leave Relay: the ticket's id, status,
reason, priority, channel, assignee (a username), times and the CSAT score. The
customer's name and email, the conversation id (it can hold a Telegram chat id),
the explanation, summary, context, notes, history and transcript go out only when
listed; `all` sends every field. A nested field is named with a dot
(`customer.email`, `csat.comment`); its parent's name means all of it. The id is
always sent, so a receiver can fetch the whole ticket from the console API.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ALL = "all"
NESTED = {
    "customer": ("id", "name", "email"),
    "follow_up": ("email", "by"),
    "csat": ("score", "comment"),
}
TOP_LEVEL = (
    "id",
    "conversation_id",
    "channel",
    "customer",
    "reason_code",
    "explanation",
    "priority",
    "priority_label",
    "status",
    "assignee",
    "created_at",
    "updated_at",
    "waiting_seconds",
    "summary",
    "follow_up",
    "unread",
    "csat",
    "context",
    "transcript",
    "notes",
    "history",
    "earlier_tickets",
)
FIELDS = TOP_LEVEL + tuple(f"{parent}.{child}" for parent, kids in NESTED.items() for child in kids)
DEFAULT_FIELDS = (
    "id",
    "status",
    "reason_code",
    "priority",
    "priority_label",
    "channel",
    "assignee",
    "created_at",
    "updated_at",
    "waiting_seconds",
    "unread",
    "csat.score",
)
UNKNOWN_FIELDS = (
    "RELAY_WEBHOOK_FIELDS names unknown ticket fields: {unknown}. Known fields: {known}; or all"
)


class UnknownWebhookField(ValueError):
    """RELAY_WEBHOOK_FIELDS names a field tickets do not have."""

    def __init__(self, unknown: list[str]) -> None:
        super().__init__(UNKNOWN_FIELDS.format(unknown=", ".join(unknown), known=", ".join(FIELDS)))
        self.unknown = unknown


def parse_fields(setting: str | None) -> tuple[str, ...]:
    """The fields that RELAY_WEBHOOK_FIELDS allows (DEFAULT_FIELDS when it is empty).

    Args:
        setting: Comma-separated field names, or `all`.

    Raises:
        UnknownWebhookField: A name is not one of FIELDS.
    """
    names = [name.strip().lower() for name in (setting or "").split(",") if name.strip()]
    if not names:
        return DEFAULT_FIELDS
    if ALL in names:
        return FIELDS
    unknown = [name for name in names if name not in FIELDS]
    if unknown:
        raise UnknownWebhookField(unknown)
    return tuple(dict.fromkeys(["id", *names]))


def pick(ticket: Mapping[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """The part of `ticket` that `fields` allows, in the ticket's own shape.

    A nested object keeps only its allowed keys (`{"csat": {"score": 4}}`); one that is
    null (or not an object) is null. Fields the ticket does not have are left out.
    """
    allowed = set(fields)
    picked: dict[str, Any] = {}
    for key, value in ticket.items():
        if key in allowed:
            picked[key] = value
            continue
        children = [child for child in NESTED.get(key, ()) if f"{key}.{child}" in allowed]
        if children:
            picked[key] = (
                {child: value[child] for child in children if child in value}
                if isinstance(value, dict)
                else None
            )
    return picked
