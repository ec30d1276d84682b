"""Composes lists and dates from the response templates in domain.yml.

Sentences stay in the domain; this module only fills templates such as
`utter_list_line` to build a bulleted list that goes into another response.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from rasa_sdk.types import DomainDict

from bot.shop.views import OrderView


def template(domain: DomainDict, response: str) -> str:
    """The text of the first variation of `response` in the domain."""
    variations = domain.get("responses", {}).get(response)
    if not variations:
        raise KeyError(f"domain.yml has no response named {response!r}")
    return str(variations[0]["text"])


def render(domain: DomainDict, response: str, **values: Any) -> str:
    return template(domain, response).format(**values)


def lines(domain: DomainDict, response: str, rows: list[dict[str, Any]]) -> str:
    """One rendered line per row, joined with newlines."""
    return "\n".join(render(domain, response, **row) for row in rows)


def day(value: date | datetime) -> str:
    """A date the way customers read it: 'Tuesday 24 November'."""
    return f"{value:%A} {value.day} {value:%B}"


def clock(value: time) -> str:
    """'9am', '5:30pm'."""
    hour = value.hour % 12 or 12
    suffix = "am" if value.hour < 12 else "pm"
    return f"{hour}{suffix}" if value.minute == 0 else f"{hour}:{value.minute:02d}{suffix}"


def when(domain: DomainDict, moment: datetime, now: datetime) -> str:
    """'today at 9am', 'tomorrow at 9am' or 'on Monday 30 November at 9am'."""
    at = clock(moment.time())
    days_ahead = (moment.date() - now.date()).days
    if days_ahead == 0:
        return render(domain, "utter_when_today", time=at)
    if days_ahead == 1:
        return render(domain, "utter_when_tomorrow", time=at)
    return render(domain, "utter_when_day", day=day(moment), time=at)


def items(order: OrderView) -> str:
    """'Trail Runner Shoes' or '2 x Merino Wool Socks, Travel Mug'."""
    return ", ".join(
        item.product if item.quantity == 1 else f"{item.quantity} x {item.product}"
        for item in order.items
    )
