"""actions/contact.py: how to reach staff, and whether they are there now."""

from __future__ import annotations

import pytest

from actions.contact import tell_how_to_reach_staff


def said(domain, dispatcher) -> list[str]:
    """What the customer reads: each chosen template filled with the action's values."""
    return [
        domain["responses"][message["response"]][0]["text"].format_map(message)
        for message in dispatcher.messages
    ]


def test_staff_available_during_support_hours(shop_db, dispatcher, domain, chosen):
    tell_how_to_reach_staff(dispatcher, domain)

    assert chosen(dispatcher) == ["utter_contact_staff_open"]
    assert said(domain, dispatcher) == [
        "Our customer team is available now until 8pm: call +44 20 7946 0000 or email "
        "help@northpeak.example. Tell them what happened and they'll take it from there."
    ]


def test_saturday_support_closes_earlier(shop_db, at_time, dispatcher, domain, chosen):
    at_time("2026-11-28T16:30:00")
    tell_how_to_reach_staff(dispatcher, domain)

    assert chosen(dispatcher) == ["utter_contact_staff_open"]
    assert dispatcher.messages[0]["closes"] == "5pm"


@pytest.mark.parametrize(
    ("moment", "next_opening"),
    [
        ("2026-11-24T21:00:00", "tomorrow at 8am"),  # Tuesday evening
        ("2026-11-24T07:15:00", "today at 8am"),  # Tuesday, early
        ("2026-11-29T12:00:00", "tomorrow at 8am"),  # Sunday: no support
        ("2026-11-28T18:00:00", "on Monday 30 November at 8am"),  # Saturday after closing
        ("2026-12-25T12:00:00", "tomorrow at 10am"),  # Christmas Day, Boxing Day hours next
    ],
)
def test_staff_offline_says_when_they_are_back(
    shop_db, at_time, dispatcher, domain, chosen, moment, next_opening
):
    at_time(moment)
    tell_how_to_reach_staff(dispatcher, domain)

    assert chosen(dispatcher) == ["utter_contact_staff_closed"]
    assert said(domain, dispatcher) == [
        f"Our customer team is offline right now and back {next_opening}. Email "
        "help@northpeak.example any time and they'll reply first thing, or call "
        "+44 20 7946 0000 once they're open."
    ]
