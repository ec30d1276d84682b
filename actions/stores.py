"""Opening hours (today's, the next opening, holidays) and store locations."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import text
from actions.shop import services
from bot.shop.facts import WEEKDAYS, DayHours


def describe_hours(domain: DomainDict, hours: DayHours) -> str:
    """'9am-6pm' or 'closed', from the domain's templates."""
    if hours.opens is None or hours.closes is None:
        return text.template(domain, "utter_hours_closed_label")
    return text.render(
        domain, "utter_hours_span", opens=text.clock(hours.opens), closes=text.clock(hours.closes)
    )


class ActionOpeningHours(Action):
    """Whether the stores are open now, when they next open, and holiday hours ahead."""

    def name(self) -> str:
        return "action_opening_hours"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        facts = services().facts
        now = services().clock.now()
        schedule = facts.store_hours
        status = schedule.status(now)
        if status.today.holiday:
            dispatcher.utter_message(
                response="utter_hours_holiday_today",
                holiday=status.today.holiday,
                hours=describe_hours(domain, status.today),
            )
        if status.open_now and status.today.opens and status.today.closes:
            dispatcher.utter_message(
                response="utter_hours_open_now",
                opens=text.clock(status.today.opens),
                closes=text.clock(status.today.closes),
            )
        elif status.next_opening is not None:
            dispatcher.utter_message(
                response="utter_hours_closed_now",
                next_opening=text.when(domain, status.next_opening, now),
            )
        week = [
            {"day": day.capitalize(), "hours": describe_hours(domain, schedule.regular_hours(day))}
            for day in WEEKDAYS
        ]
        dispatcher.utter_message(
            response="utter_hours_week", week=text.lines(domain, "utter_hours_line", week)
        )
        holidays = schedule.upcoming_holidays(now.date())
        if holidays:
            rows = [
                {"date": text.day(h.day), "name": h.holiday, "hours": describe_hours(domain, h)}
                for h in holidays
            ]
            dispatcher.utter_message(
                response="utter_hours_holidays",
                holidays=text.lines(domain, "utter_hours_holiday_line", rows),
            )
        return []


class ActionStoreLocation(Action):
    """The store in the city asked about, or the list of all stores."""

    def name(self) -> str:
        return "action_store_location"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        facts = services().facts
        city = tracker.get_slot("city")
        store = facts.store_in(city) if city else None
        if store is not None:
            today = facts.store_hours.hours_on(services().clock.today())
            dispatcher.utter_message(
                response="utter_store_in_city",
                city=store.city,
                name=store.name,
                address=store.address,
                phone=store.phone,
                hours=describe_hours(domain, today),
            )
        else:
            rows = [
                {"city": s.city, "name": s.name, "address": s.address, "phone": s.phone}
                for s in facts.stores
            ]
            dispatcher.utter_message(
                response="utter_store_list",
                count=len(rows),
                stores=text.lines(domain, "utter_store_line", rows),
            )
        return [SlotSet("city", None)]
