"""actions/order_form.py: the validation shared by every form that acts on one order."""

from __future__ import annotations

import asyncio

import pytest
from rasa_sdk.events import SlotSet

from actions import shop
from actions.order_form import OrderFormValidation
from bot.shop.views import OrderView

CANCEL_SLOTS = ["order_id", "email", "confirm_cancel"]


class CancelLikeForm(OrderFormValidation):
    """The base behaviour, run against the cancel form's slots in the domain."""

    def name(self) -> str:
        return "validate_cancel_order_form"


class OrderOnlyForm(CancelLikeForm):
    def needs_more_than_order(self, order: OrderView) -> bool:
        return False


@pytest.fixture
def maya(shop_db) -> int:
    return shop.services().repository.customer_by_email("maya.patel@example.com").id


def required(form, tracker, dispatcher, domain, **slots) -> list[str]:
    return asyncio.run(form.required_slots(CANCEL_SLOTS, dispatcher, tracker(slots), domain))


def test_subclasses_must_name_their_form():
    with pytest.raises(TypeError):
        OrderFormValidation()  # abstract until a subclass names the form
    assert CancelLikeForm().form_name() == "cancel_order_form"


def test_by_default_the_whole_form_is_needed(shop_db):
    assert (
        CancelLikeForm().needs_more_than_order(shop.services().repository.order("100231")) is True
    )


# --- required_slots ---


def test_all_slots_are_needed_before_the_order_is_known(shop_db, tracker, dispatcher, domain):
    assert required(CancelLikeForm(), tracker, dispatcher, domain) == CANCEL_SLOTS
    assert (
        required(CancelLikeForm(), tracker, dispatcher, domain, order_id="999999") == CANCEL_SLOTS
    )


def test_email_is_skipped_for_the_known_owner(maya, tracker, dispatcher, domain):
    slots = required(
        CancelLikeForm(), tracker, dispatcher, domain, order_id="100245", customer_id=maya
    )
    assert slots == ["order_id", "confirm_cancel"]


def test_email_is_skipped_once_the_orders_email_was_given(shop_db, tracker, dispatcher, domain):
    slots = required(
        CancelLikeForm(),
        tracker,
        dispatcher,
        domain,
        order_id="100245",
        email="maya.patel@example.com",
    )
    assert slots == ["order_id", "confirm_cancel"]


def test_email_is_asked_of_anyone_else(shop_db, tracker, dispatcher, domain):
    assert (
        required(CancelLikeForm(), tracker, dispatcher, domain, order_id="100245", customer_id=2)
        == CANCEL_SLOTS
    )
    assert (
        required(
            CancelLikeForm(),
            tracker,
            dispatcher,
            domain,
            order_id="100245",
            email="tom.becker@example.org",
        )
        == CANCEL_SLOTS
    )


def test_form_stops_after_the_order_when_nothing_more_makes_sense(
    maya, tracker, dispatcher, domain
):
    slots = required(
        OrderOnlyForm(), tracker, dispatcher, domain, order_id="100245", customer_id=maya
    )
    assert slots == ["order_id"]


# --- validate_order_id ---


@pytest.mark.parametrize(
    ("value", "expected"),
    [("100231", "100231"), ("#100231", "100231"), (" # 100231 ", "100231"), (["100231"], "100231")],
)
def test_order_number_is_normalised(shop_db, tracker, dispatcher, domain, value, expected):
    result = CancelLikeForm().validate_order_id(value, dispatcher, tracker(), domain)
    assert result == {"order_id": expected}
    assert dispatcher.messages == []


@pytest.mark.parametrize("value", [None, "", "12345", "1002311", "order", "10023a", 100231, []])
def test_badly_formed_order_number_is_rejected(shop_db, tracker, dispatcher, domain, chosen, value):
    result = CancelLikeForm().validate_order_id(value, dispatcher, tracker(), domain)
    assert result == {"order_id": None}
    assert chosen(dispatcher) == ["utter_invalid_order_id"]


def test_unknown_order_number_is_rejected(shop_db, tracker, dispatcher, domain, chosen):
    result = CancelLikeForm().validate_order_id("999999", dispatcher, tracker(), domain)
    assert result == {"order_id": None}
    assert chosen(dispatcher) == ["utter_order_not_found"]
    assert dispatcher.messages[0]["order_id"] == "999999"


def test_known_customer_cannot_pick_someone_elses_order(maya, tracker, dispatcher, domain, chosen):
    result = CancelLikeForm().validate_order_id(
        "100150", dispatcher, tracker({"customer_id": maya}), domain
    )
    assert result == {"order_id": None}
    assert chosen(dispatcher) == ["utter_order_not_on_account"]
    assert dispatcher.messages[0]["order_id"] == "100150"


def test_unknown_customer_may_name_any_order(shop_db, tracker, dispatcher, domain):
    result = CancelLikeForm().validate_order_id("100150", dispatcher, tracker(), domain)
    assert result == {"order_id": "100150"}


def test_email_given_for_another_order_is_forgotten_and_counted_as_a_guess(
    shop_db, tracker, dispatcher, domain, chosen
):
    visitor = tracker({"email": "maya.patel@example.com"})
    result = CancelLikeForm().validate_order_id("100150", dispatcher, visitor, domain)
    assert result == {"order_id": "100150", "email": None}
    assert chosen(dispatcher) == ["utter_email_mismatch"]


def test_a_known_customers_other_email_is_forgotten_quietly(
    shop_db, tracker, dispatcher, domain, chosen
):
    tom = shop.services().repository.order("100150").customer_id
    known = tracker({"customer_id": tom, "email": "maya.patel@example.com"})
    result = CancelLikeForm().validate_order_id("100150", dispatcher, known, domain)
    assert result == {"order_id": "100150", "email": None}
    assert chosen(dispatcher) == []


def test_email_of_the_orders_owner_is_kept(shop_db, tracker, dispatcher, domain):
    result = CancelLikeForm().validate_order_id(
        "100150", dispatcher, tracker({"email": "Tom.Becker@example.org"}), domain
    )
    assert result == {"order_id": "100150"}


# --- validate_email ---


def test_email_matching_the_order_is_accepted_in_lower_case(shop_db, tracker, dispatcher, domain):
    result = CancelLikeForm().validate_email(
        " Maya.Patel@Example.COM ", dispatcher, tracker({"order_id": "100245"}), domain
    )
    assert result == {"email": "maya.patel@example.com"}
    assert dispatcher.messages == []


def test_email_not_matching_the_order_is_rejected(shop_db, tracker, dispatcher, domain, chosen):
    result = CancelLikeForm().validate_email(
        "tom.becker@example.org", dispatcher, tracker({"order_id": "100245"}), domain
    )
    assert result == {"email": None}
    assert chosen(dispatcher) == ["utter_email_mismatch"]


@pytest.mark.parametrize("value", [None, "", "maya", "maya@example", "maya @example.com"])
def test_malformed_email_is_rejected(shop_db, tracker, dispatcher, domain, chosen, value):
    result = CancelLikeForm().validate_email(
        value, dispatcher, tracker({"order_id": "100245"}), domain
    )
    assert result == {"email": None}
    assert chosen(dispatcher) == ["utter_invalid_email"]


# --- The whole validation step, as the action server runs it ---


def _validate(tracker, dispatcher, domain, slots, candidates):
    form_tracker = tracker(
        {**slots, **candidates},
        active_loop="cancel_order_form",
        events=[SlotSet(name, value) for name, value in candidates.items()],
    )
    return asyncio.run(CancelLikeForm().run(dispatcher, form_tracker, domain))


def test_known_owner_goes_straight_to_the_confirmation(maya, tracker, dispatcher, domain):
    events = _validate(tracker, dispatcher, domain, {"customer_id": maya}, {"order_id": "#100245"})
    assert events == [SlotSet("order_id", "100245"), SlotSet("requested_slot", "confirm_cancel")]


def test_unverified_customer_is_left_to_rasa_to_ask_for_the_email(
    shop_db, tracker, dispatcher, domain
):
    events = _validate(tracker, dispatcher, domain, {}, {"order_id": "100245"})
    assert events == [SlotSet("order_id", "100245")]


def test_rejected_order_number_is_cleared(shop_db, tracker, dispatcher, domain, chosen):
    events = _validate(tracker, dispatcher, domain, {}, {"order_id": "123"})
    assert events == [SlotSet("order_id", None)]
    assert chosen(dispatcher) == ["utter_invalid_order_id"]
