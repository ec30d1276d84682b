"""The shop's business facts, loaded from the human-editable YAML file.

Actions read hours, stores, shipping rates, return rules and contact details
from here, so a shop changes its facts without touching code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
CLOSED = "closed"
REFERENCE_MONDAY = date(2024, 1, 1)


class FactsError(ValueError):
    """The facts file is missing a key or has a malformed value."""


@dataclass(frozen=True)
class DayHours:
    """Opening hours of one calendar day; `opens` is None when closed."""

    day: date
    opens: time | None
    closes: time | None
    holiday: str | None = None

    @property
    def is_open(self) -> bool:
        return self.opens is not None


@dataclass(frozen=True)
class OpeningStatus:
    """Whether a place is open at a moment, and when it next opens."""

    open_now: bool
    today: DayHours
    next_opening: datetime | None


def _parse_hours(text: str, where: str) -> tuple[time, time] | None:
    if str(text).strip().lower() == CLOSED:
        return None
    try:
        start, end = (time.fromisoformat(part.strip()) for part in str(text).split("-"))
    except ValueError as error:
        raise FactsError(f"{where}: expected 'HH:MM-HH:MM' or 'closed', got {text!r}") from error
    return start, end


@dataclass(frozen=True)
class Schedule:
    """Weekly hours with holiday exceptions."""

    weekly: dict[str, tuple[time, time] | None]
    holidays: dict[date, tuple[str, tuple[time, time] | None]] = field(default_factory=dict)

    @classmethod
    def from_facts(
        cls, weekly: dict[str, str], holidays: list[dict[str, Any]], where: str
    ) -> Schedule:
        missing = [day for day in WEEKDAYS if day not in weekly]
        if missing:
            raise FactsError(f"{where}: no hours for {', '.join(missing)}")
        return cls(
            weekly={day: _parse_hours(weekly[day], f"{where}.{day}") for day in WEEKDAYS},
            holidays={
                _as_date(entry["date"]): (
                    str(entry["name"]),
                    _parse_hours(entry["hours"], f"holiday {entry['date']}"),
                )
                for entry in holidays
            },
        )

    def hours_on(self, day: date) -> DayHours:
        if day in self.holidays:
            name, hours = self.holidays[day]
        else:
            name, hours = None, self.weekly[WEEKDAYS[day.weekday()]]
        if hours is None:
            return DayHours(day=day, opens=None, closes=None, holiday=name)
        return DayHours(day=day, opens=hours[0], closes=hours[1], holiday=name)

    def regular_hours(self, weekday: str) -> DayHours:
        """The usual hours of a weekday ('monday'...), ignoring holidays."""
        hours = self.weekly[weekday]
        reference = REFERENCE_MONDAY + timedelta(days=WEEKDAYS.index(weekday))
        if hours is None:
            return DayHours(day=reference, opens=None, closes=None)
        return DayHours(day=reference, opens=hours[0], closes=hours[1])

    def status(self, now: datetime) -> OpeningStatus:
        """Open or closed at `now` (local time), and the next opening after it."""
        today = self.hours_on(now.date())
        open_now = (
            today.opens is not None
            and today.closes is not None
            and today.opens <= now.time() < today.closes
        )
        next_opening = None
        for offset in range(0, 15):
            day = self.hours_on(now.date() + timedelta(days=offset))
            if day.opens is None:
                continue
            start = datetime.combine(day.day, day.opens, tzinfo=now.tzinfo)
            if start > now:
                next_opening = start
                break
        return OpeningStatus(open_now=open_now, today=today, next_opening=next_opening)

    def upcoming_holidays(self, today: date, days: int = 45) -> list[DayHours]:
        horizon = today + timedelta(days=days)
        return [self.hours_on(day) for day in sorted(self.holidays) if today <= day <= horizon]


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


@dataclass(frozen=True)
class Store:
    city: str
    name: str
    address: str
    phone: str


@dataclass(frozen=True)
class ShippingOption:
    zone: str
    method: str
    price: Decimal
    days: str
    free_over: Decimal | None


@dataclass(frozen=True)
class ShopFacts:
    """Everything the shop's facts file says, typed."""

    shop_name: str
    timezone: ZoneInfo
    currency: str
    website: str
    store_hours: Schedule
    support_hours: Schedule
    stores: tuple[Store, ...]
    shipping: tuple[ShippingOption, ...]
    click_and_collect: str
    return_window_days: int
    return_conditions: str
    return_how: str
    return_cost: str
    refund_processing: str
    refund_bank_time: str
    payment_methods: tuple[str, ...]
    loyalty_earn: str
    loyalty_redeem_points: int
    loyalty_redeem_value: Decimal
    loyalty_extras: str
    subscription_plan: str
    subscription_price: Decimal
    subscription_pause_months: int
    reset_url: str
    reset_link_minutes: int
    contact_email: str
    contact_phone: str

    def store_in(self, city: str) -> Store | None:
        wanted = city.strip().lower()
        return next((store for store in self.stores if store.city.lower() == wanted), None)

    def money(self, amount: Decimal) -> str:
        return f"{self.currency}{amount:.2f}"


def parse_facts(raw: dict[str, Any]) -> ShopFacts:
    """Builds `ShopFacts` from the YAML mapping, naming the key when one is missing."""
    try:
        holidays = raw.get("holidays") or []
        return ShopFacts(
            shop_name=raw["shop_name"],
            timezone=ZoneInfo(raw["timezone"]),
            currency=raw["currency"],
            website=raw["website"],
            store_hours=Schedule.from_facts(raw["opening_hours"], holidays, "opening_hours"),
            support_hours=Schedule.from_facts(raw["contact"]["hours"], holidays, "contact.hours"),
            stores=tuple(Store(**store) for store in raw["stores"]),
            shipping=tuple(
                ShippingOption(
                    zone=option["zone"],
                    method=option["method"],
                    price=Decimal(str(option["price"])),
                    days=option["days"],
                    free_over=(
                        Decimal(str(option["free_over"])) if option.get("free_over") else None
                    ),
                )
                for option in raw["shipping"]
            ),
            click_and_collect=raw["click_and_collect"],
            return_window_days=int(raw["returns"]["window_days"]),
            return_conditions=raw["returns"]["conditions"],
            return_how=raw["returns"]["how"],
            return_cost=raw["returns"]["cost"],
            refund_processing=raw["refunds"]["processing"],
            refund_bank_time=raw["refunds"]["bank_time"],
            payment_methods=tuple(raw["payment_methods"]),
            loyalty_earn=raw["loyalty"]["earn"],
            loyalty_redeem_points=int(raw["loyalty"]["redeem_points"]),
            loyalty_redeem_value=Decimal(str(raw["loyalty"]["redeem_value"])),
            loyalty_extras=raw["loyalty"]["extras"],
            subscription_plan=raw["subscription"]["plan"],
            subscription_price=Decimal(str(raw["subscription"]["price"])),
            subscription_pause_months=int(raw["subscription"]["pause_months"]),
            reset_url=raw["account"]["reset_url"],
            reset_link_minutes=int(raw["account"]["reset_link_minutes"]),
            contact_email=raw["contact"]["email"],
            contact_phone=raw["contact"]["phone"],
        )
    except KeyError as error:
        raise FactsError(f"the facts file has no {error.args[0]!r} entry") from error


def load_facts(path: Path) -> ShopFacts:
    """Reads and validates the facts file at `path`."""
    with path.open(encoding="utf-8") as handle:
        raw = yaml.safe_load(handle)
    if not isinstance(raw, dict):
        raise FactsError(f"{path}: expected a mapping at the top level")
    return parse_facts(raw)
