"""bot/shop/facts.py: the business facts file and opening schedules."""

from __future__ import annotations

import copy
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import yaml

from bot.settings import DEFAULT_FACTS_FILE
from bot.shop.facts import (
    FactsError,
    Schedule,
    ShopFacts,
    load_facts,
    parse_facts,
)

LONDON = ZoneInfo("Europe/London")
WEEK = {
    "monday": "09:00-18:00",
    "tuesday": "09:00-18:00",
    "wednesday": "09:00-18:00",
    "thursday": "09:00-20:00",
    "friday": "09:00-18:00",
    "saturday": "10:00-16:00",
    "sunday": "closed",
}
HOLIDAYS = [
    {"date": date(2026, 12, 25), "name": "Christmas Day", "hours": "closed"},
    {"date": "2026-12-24", "name": "Christmas Eve", "hours": "09:00-14:00"},
]


@pytest.fixture(scope="module")
def raw() -> dict:
    with DEFAULT_FACTS_FILE.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@pytest.fixture
def schedule() -> Schedule:
    return Schedule.from_facts(WEEK, HOLIDAYS, "hours")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LONDON)


# --- The shop's facts file ---


def test_the_shops_facts_file_loads(raw):
    facts = load_facts(DEFAULT_FACTS_FILE)

    assert isinstance(facts, ShopFacts)
    assert facts.shop_name == "Northpeak Outfitters"
    assert facts.timezone == LONDON
    assert facts.return_window_days == 30
    assert facts.loyalty_redeem_value == Decimal("5.00")
    assert facts.subscription_price == Decimal("24.00")
    assert len(facts.stores) == 4
    assert facts.payment_methods[1] == "PayPal"
    assert facts == parse_facts(raw)


def test_shipping_options(raw):
    shipping = parse_facts(raw).shipping
    assert [(o.zone, o.method, o.price, o.free_over) for o in shipping[:2]] == [
        ("United Kingdom", "Standard", Decimal("3.95"), Decimal("50.00")),
        ("United Kingdom", "Next day (order before 2pm)", Decimal("6.95"), None),
    ]


def test_store_in_a_city(raw):
    facts = parse_facts(raw)
    assert facts.store_in(" bristol ").name == "Cabot Circus"
    assert facts.store_in("Paris") is None


def test_money(raw):
    facts = parse_facts(raw)
    assert facts.money(Decimal("40")) == "£40.00"
    assert facts.money(Decimal("3.955")) == "£3.96"


def test_holidays_apply_to_stores_and_support(raw):
    facts = parse_facts(raw)
    assert facts.store_hours.hours_on(date(2026, 12, 25)).holiday == "Christmas Day"
    assert facts.support_hours.hours_on(date(2026, 12, 26)).opens == time(10)
    assert facts.support_hours.hours_on(date(2026, 11, 29)).is_open is False  # Sunday


@pytest.mark.parametrize(
    ("path", "key"),
    [
        (["currency"], "currency"),
        (["opening_hours"], "opening_hours"),
        (["contact", "hours"], "hours"),
        (["returns", "window_days"], "window_days"),
        (["loyalty"], "loyalty"),
        (["account", "reset_url"], "reset_url"),
    ],
)
def test_missing_key_is_named(raw, path, key):
    broken = copy.deepcopy(raw)
    parent = broken
    for step in path[:-1]:
        parent = parent[step]
    del parent[path[-1]]

    with pytest.raises(FactsError, match=f"no '{key}' entry"):
        parse_facts(broken)


def test_holiday_missing_its_name_is_named(raw):
    broken = copy.deepcopy(raw)
    del broken["holidays"][0]["name"]
    with pytest.raises(FactsError, match="'name'"):
        parse_facts(broken)


def test_holidays_are_optional(raw):
    relaxed = copy.deepcopy(raw)
    del relaxed["holidays"]
    assert parse_facts(relaxed).store_hours.holidays == {}


def test_missing_weekday_is_named(raw):
    broken = copy.deepcopy(raw)
    del broken["opening_hours"]["sunday"]
    del broken["opening_hours"]["monday"]
    with pytest.raises(FactsError, match="opening_hours: no hours for monday, sunday"):
        parse_facts(broken)


@pytest.mark.parametrize("hours", ["9 to 5", "09:00", "25:00-26:00", "09:00-18:00-20:00"])
def test_malformed_hours_are_named(raw, hours):
    broken = copy.deepcopy(raw)
    broken["contact"]["hours"]["friday"] = hours
    with pytest.raises(FactsError, match=r"contact\.hours\.friday: expected 'HH:MM-HH:MM'"):
        parse_facts(broken)


def test_load_facts_needs_a_mapping(tmp_path):
    path = tmp_path / "facts.yml"
    path.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(FactsError, match="expected a mapping"):
        load_facts(path)


def test_facts_error_is_a_value_error():
    assert issubclass(FactsError, ValueError)


# --- Schedules ---


def test_hours_on_a_normal_day_and_a_holiday(schedule):
    thursday = schedule.hours_on(date(2026, 11, 26))
    assert (thursday.opens, thursday.closes, thursday.holiday) == (time(9), time(20), None)
    christmas = schedule.hours_on(date(2026, 12, 25))  # a Friday
    assert (christmas.is_open, christmas.holiday) == (False, "Christmas Day")
    eve = schedule.hours_on(date(2026, 12, 24))
    assert (eve.opens, eve.closes, eve.holiday) == (time(9), time(14), "Christmas Eve")


def test_regular_hours_ignore_holidays(schedule):
    friday = schedule.regular_hours("friday")
    assert (friday.opens, friday.closes, friday.holiday) == (time(9), time(18), None)
    assert friday.day.weekday() == 4
    assert schedule.regular_hours("sunday").is_open is False


@pytest.mark.parametrize(
    ("now", "open_now", "next_opening"),
    [
        ("2026-11-24T11:00", True, "2026-11-25T09:00"),
        ("2026-11-24T09:00", True, "2026-11-25T09:00"),  # opening time is open
        ("2026-11-24T18:00", False, "2026-11-25T09:00"),  # closing time is closed
        ("2026-11-24T08:59", False, "2026-11-24T09:00"),
        ("2026-11-28T17:00", False, "2026-11-30T09:00"),  # Saturday evening, closed Sunday
        ("2026-11-29T12:00", False, "2026-11-30T09:00"),  # Sunday
        ("2026-12-24T15:00", False, "2026-12-26T10:00"),  # after Christmas Eve, skip Christmas
        ("2026-12-25T08:00", False, "2026-12-26T10:00"),
    ],
)
def test_status(schedule, now, open_now, next_opening):
    status = schedule.status(at(now))

    assert status.open_now is open_now
    assert status.today.day == at(now).date()
    assert status.next_opening == at(next_opening)


def test_status_when_never_open():
    closed = Schedule.from_facts(dict.fromkeys(WEEK, "closed"), [], "hours")
    status = closed.status(at("2026-11-24T11:00"))
    assert (status.open_now, status.next_opening) == (False, None)


def test_upcoming_holidays(schedule):
    upcoming = schedule.upcoming_holidays(date(2026, 11, 24))
    assert [(h.day, h.holiday) for h in upcoming] == [
        (date(2026, 12, 24), "Christmas Eve"),
        (date(2026, 12, 25), "Christmas Day"),
    ]
    assert [h.holiday for h in schedule.upcoming_holidays(date(2026, 11, 24), days=30)] == [
        "Christmas Eve"  # the horizon day is included
    ]
    assert schedule.upcoming_holidays(date(2026, 11, 24), days=29) == []
    assert [h.holiday for h in schedule.upcoming_holidays(date(2026, 12, 25))] == ["Christmas Day"]
    assert schedule.upcoming_holidays(date(2026, 12, 26)) == []
