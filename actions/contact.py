"""How to reach the shop's staff, honestly, from the business facts.

Used when a handoff ticket cannot be opened (the database is down), so the
customer still has a way to reach a person.
"""

from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import text
from actions.shop import services


def tell_how_to_reach_staff(dispatcher: CollectingDispatcher, domain: DomainDict) -> None:
    """Says whether staff are available now, until when or from when, and how to reach them."""
    facts = services().facts
    now = services().clock.now()
    status = facts.support_hours.status(now)
    contact = {"phone": facts.contact_phone, "email": facts.contact_email}
    if status.open_now and status.today.closes:
        dispatcher.utter_message(
            response="utter_contact_staff_open", closes=text.clock(status.today.closes), **contact
        )
    else:
        next_opening = text.when(domain, status.next_opening, now) if status.next_opening else ""
        dispatcher.utter_message(
            response="utter_contact_staff_closed", next_opening=next_opening, **contact
        )
