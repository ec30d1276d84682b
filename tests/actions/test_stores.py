"""actions/stores.py: opening hours (now, next opening, holidays) and store locations."""

from __future__ import annotations

import asyncio
from datetime import date, time

import pytest
from rasa_sdk.events import SlotSet

from actions.stores import ActionOpeningHours, ActionStoreLocation, describe_hours
from bot.shop.facts import DayHours

USUAL_WEEK = (
    "Our usual hours are:\n"
    "• Monday: 9am-6pm\n"
    "• Tuesday: 9am-6pm\n"
    "• Wednesday: 9am-6pm\n"
    "• Thursday: 9am-8pm\n"
    "• Friday: 9am-6pm\n"
    "• Saturday: 9am-6pm\n"
    "• Sunday: 11am-5pm"
)


def run(action, dispatcher, tracker, domain):
    return asyncio.run(action.run(dispatcher, tracker, domain))


def said(domain, dispatcher) -> list[str]:
    """What the customer reads: each chosen template filled with the action's values."""
    return [
        domain["responses"][message["response"]][0]["text"].format_map(message)
        for message in dispatcher.messages
    ]


def test_describe_hours(domain):
    day = date(2026, 11, 24)
    assert describe_hours(domain, DayHours(day, time(9), time(17, 30))) == "9am-5:30pm"
    assert describe_hours(domain, DayHours(day, None, None)) == "closed"


# --- Opening hours ---


def test_open_on_a_normal_day(shop_db, tracker, dispatcher, domain, chosen):
    assert run(ActionOpeningHours(), dispatcher, tracker(), domain) == []

    assert chosen(dispatcher) == [
        "utter_hours_open_now",
        "utter_hours_week",
        "utter_hours_holidays",
    ]
    opening, week, holidays = said(domain, dispatcher)
    assert opening == "Our stores are open today from 9am until 6pm."
    assert week == USUAL_WEEK
    assert holidays == (
        "Holiday hours coming up:\n"
        "• Thursday 24 December (Christmas Eve): 9am-2pm\n"
        "• Friday 25 December (Christmas Day): closed\n"
        "• Saturday 26 December (Boxing Day): 10am-4pm\n"
        "• Friday 1 January (New Year's Day): closed"
    )


def test_closed_in_the_evening_opens_tomorrow(
    shop_db, at_time, tracker, dispatcher, domain, chosen
):
    at_time("2026-11-24T21:00:00")
    run(ActionOpeningHours(), dispatcher, tracker(), domain)

    assert chosen(dispatcher)[0] == "utter_hours_closed_now"
    assert said(domain, dispatcher)[0] == (
        "Our stores are closed right now. We open again tomorrow at 9am."
    )


def test_closed_at_closing_time(shop_db, at_time, tracker, dispatcher, domain, chosen):
    at_time("2026-11-24T18:00:00")
    run(ActionOpeningHours(), dispatcher, tracker(), domain)
    assert dispatcher.messages[0]["next_opening"] == "tomorrow at 9am"


def test_before_opening_opens_later_today(shop_db, at_time, tracker, dispatcher, domain, chosen):
    at_time("2026-11-29T08:30:00")  # a Sunday: stores open at 11
    run(ActionOpeningHours(), dispatcher, tracker(), domain)

    assert chosen(dispatcher)[0] == "utter_hours_closed_now"
    assert dispatcher.messages[0]["next_opening"] == "today at 11am"


def test_closed_on_a_holiday(shop_db, at_time, tracker, dispatcher, domain, chosen):
    at_time("2026-12-25T12:00:00")
    run(ActionOpeningHours(), dispatcher, tracker(), domain)

    assert chosen(dispatcher) == [
        "utter_hours_holiday_today",
        "utter_hours_closed_now",
        "utter_hours_week",
        "utter_hours_holidays",
    ]
    holiday, closed = said(domain, dispatcher)[:2]
    assert holiday == "Today is Christmas Day, so our hours are different: closed."
    assert closed == "Our stores are closed right now. We open again tomorrow at 10am."


def test_open_on_a_holiday_with_short_hours(shop_db, at_time, tracker, dispatcher, domain, chosen):
    at_time("2026-12-24T11:00:00")
    run(ActionOpeningHours(), dispatcher, tracker(), domain)

    assert chosen(dispatcher)[:2] == ["utter_hours_holiday_today", "utter_hours_open_now"]
    assert said(domain, dispatcher)[:2] == [
        "Today is Christmas Eve, so our hours are different: 9am-2pm.",
        "Our stores are open today from 9am until 2pm.",
    ]


def test_after_short_holiday_hours_the_next_opening_skips_a_closed_day(
    shop_db, at_time, tracker, dispatcher, domain
):
    at_time("2026-12-24T15:00:00")
    run(ActionOpeningHours(), dispatcher, tracker(), domain)

    assert said(domain, dispatcher)[1] == (
        "Our stores are closed right now. We open again on Saturday 26 December at 10am."
    )


def test_no_holiday_list_when_none_is_coming_up(
    shop_db, at_time, tracker, dispatcher, domain, chosen
):
    at_time("2027-01-12T11:00:00")  # Good Friday (2 April) is more than 45 days away
    run(ActionOpeningHours(), dispatcher, tracker(), domain)

    assert chosen(dispatcher) == ["utter_hours_open_now", "utter_hours_week"]
    assert said(domain, dispatcher)[1] == USUAL_WEEK


# --- Store locations ---


def test_store_in_a_city(shop_db, tracker, dispatcher, domain, chosen):
    events = run(ActionStoreLocation(), dispatcher, tracker({"city": "Manchester"}), domain)

    assert events == [SlotSet("city", None)]
    assert chosen(dispatcher) == ["utter_store_in_city"]
    assert said(domain, dispatcher) == [
        "Our Manchester store (Northern Quarter) is at 40 Oldham Street, Manchester M1 1JN, "
        "phone +44 161 496 0102. Today's hours: 9am-6pm."
    ]


def test_city_is_matched_ignoring_case_and_spaces(shop_db, tracker, dispatcher, domain, chosen):
    run(ActionStoreLocation(), dispatcher, tracker({"city": "  edinburgh "}), domain)

    assert chosen(dispatcher) == ["utter_store_in_city"]
    assert dispatcher.messages[0]["name"] == "Princes Street"


@pytest.mark.parametrize(
    ("moment", "hours"),
    [("2026-11-29T10:00:00", "11am-5pm"), ("2026-12-25T10:00:00", "closed")],
)
def test_store_shows_todays_hours(shop_db, at_time, tracker, dispatcher, domain, moment, hours):
    at_time(moment)
    run(ActionStoreLocation(), dispatcher, tracker({"city": "London"}), domain)
    assert dispatcher.messages[0]["hours"] == hours


@pytest.mark.parametrize("city", ["Paris", None])
def test_unknown_or_missing_city_lists_every_store(
    shop_db, tracker, dispatcher, domain, chosen, city
):
    events = run(ActionStoreLocation(), dispatcher, tracker({"city": city}), domain)

    assert events == [SlotSet("city", None)]
    assert chosen(dispatcher) == ["utter_store_list"]
    assert dispatcher.messages[0]["count"] == 4
    assert dispatcher.messages[0]["stores"].splitlines() == [
        "• London, Covent Garden: 12 Long Acre, London WC2E 9LH (+44 20 7946 0101)",
        "• Manchester, Northern Quarter: 40 Oldham Street, Manchester M1 1JN (+44 161 496 0102)",
        "• Edinburgh, Princes Street: 95 Princes Street, Edinburgh EH2 2ER (+44 131 496 0103)",
        "• Bristol, Cabot Circus: 7 Glass House, Cabot Circus, Bristol BS1 3BX (+44 117 496 0104)",
    ]
    assert said(domain, dispatcher)[0].startswith("You'll find us in 4 places:\n• London")
