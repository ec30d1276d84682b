"""bot/handoff/tickets.py: handoff tickets in SQLite, from creation to closing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from bot.handoff.tickets import (
    MAX_TEXT,
    InvalidRequest,
    NotAllowed,
    TicketConflict,
    TicketError,
    TicketNotFound,
    TicketStore,
)
from bot.shop.repository import make_engine
from tests.support.clock import WallClock

START = datetime(2026, 11, 24, 11, 0)
MAYA = {"id": 1, "name": "Maya", "email": "maya.patel@example.com"}
TOM = {"id": 2, "name": "Tom", "email": "tom.becker@example.com"}


@pytest.fixture
def clock() -> WallClock:
    return WallClock(START)


@pytest.fixture
def db_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'tickets.db'}"


@pytest.fixture
def store(db_url, clock):
    engine = make_engine(db_url)
    yield TicketStore(engine, clock=clock)
    engine.dispose()


def customer_says(text: str) -> dict[str, Any]:
    return {"speaker": "customer", "text": text}


def open_ticket(
    store: TicketStore,
    conversation_id: str = "web-1",
    *,
    priority: int = 2,
    customer: dict[str, Any] | None = None,
    transcript: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return store.create(
        conversation_id=conversation_id,
        channel="rest",
        reason_code="request_human",
        explanation="Asked for a person",
        priority=priority,
        summary="Track an order · order 100245 · Asked for a person",
        context={"wants": "Track an order", "details": {"order_id": "100245"}},
        transcript=transcript if transcript is not None else [customer_says("where is it")],
        customer=customer,
        **extra,
    )


def refused(call, *args: Any) -> type[TicketError]:
    """The kind of error the store refuses the call with."""
    with pytest.raises(TicketError) as error:
        call(*args)
    return type(error.value)


# --- Creating and finding ---


def test_create_opens_a_waiting_ticket_with_the_snapshot(store):
    ticket = open_ticket(store, customer=MAYA)
    assert ticket["status"] == "waiting"
    assert ticket["assignee"] is None
    assert (ticket["conversation_id"], ticket["channel"]) == ("web-1", "rest")
    assert ticket["customer"] == MAYA
    assert (ticket["reason_code"], ticket["priority"], ticket["priority_label"]) == (
        "request_human",
        2,
        "high",
    )
    assert ticket["created_at"] == "2026-11-24T11:00:00+00:00"
    assert ticket["context"]["details"] == {"order_id": "100245"}
    assert ticket["transcript"] == [customer_says("where is it")]
    assert ticket["notes"] == [] and ticket["earlier_tickets"] == []
    assert ticket["follow_up"] is None and ticket["csat"] is None


def test_create_without_channel_or_customer_defaults_to_rest_and_anonymous(store):
    ticket = store.create(
        conversation_id="c",
        channel="",
        reason_code="frustration",
        explanation="",
        priority=1,
        summary="",
        context={},
        transcript=[],
    )
    assert ticket["channel"] == "rest"
    assert ticket["customer"] == {"id": None, "name": None, "email": None}
    assert ticket["priority_label"] == "urgent"


def test_create_keeps_the_follow_up_promise(store):
    ticket = open_ticket(
        store, follow_up_email="maya@example.com", follow_up_by=datetime(2026, 11, 25, 10, 0)
    )
    assert ticket["follow_up"] == {"email": "maya@example.com", "by": "2026-11-25T10:00:00"}


def test_one_open_ticket_per_conversation(store, clock):
    first = open_ticket(store)
    clock.advance(minutes=1)
    again = open_ticket(store, priority=1)
    assert again["id"] == first["id"]
    assert again["priority"] == 2
    assert [ticket["id"] for ticket in store.queue()] == [first["id"]]


def test_a_closed_conversation_can_open_a_new_ticket(store, clock):
    first = open_ticket(store)
    store.close(first["id"], None, "returned_to_bot")
    clock.advance(minutes=1)
    second = open_ticket(store)
    assert second["id"] != first["id"]
    assert second["status"] == "waiting"


def test_open_for_and_latest_for(store):
    assert store.open_for("web-1") is None
    assert store.latest_for("web-1") is None
    ticket = open_ticket(store)
    assert store.open_for("web-1")["id"] == ticket["id"]
    store.close(ticket["id"], None, "resolved")
    assert store.open_for("web-1") is None
    assert store.latest_for("web-1")["status"] == "resolved"
    assert store.open_for("web-2") is None


def test_get_an_unknown_ticket_is_404(store):
    assert refused(store.get, 999) is TicketNotFound


@pytest.mark.parametrize("ticket_id", [2**63, 10**26, 0, -1])
def test_an_id_no_database_integer_holds_is_404_everywhere(store, ticket_id):
    open_ticket(store)
    assert refused(store.get, ticket_id) is TicketNotFound
    assert refused(store.position, ticket_id) is TicketNotFound
    assert refused(store.claim, ticket_id, "alice") is TicketNotFound
    assert refused(store.check_owner, ticket_id, "alice") is TicketNotFound
    assert refused(store.note, ticket_id, "alice", "hello") is TicketNotFound
    assert refused(store.transfer, ticket_id, "alice", "bob", True) is TicketNotFound
    assert refused(store.close, ticket_id, "alice", "resolved") is TicketNotFound
    assert refused(store.record_csat, ticket_id, 3, None) is TicketNotFound
    assert refused(store.update_transcript, ticket_id, []) is TicketNotFound


# --- Queue ---


def test_queue_orders_by_priority_then_age(store, clock):
    old_normal = open_ticket(store, "a", priority=3)
    clock.advance(minutes=1)
    urgent = open_ticket(store, "b", priority=1)
    clock.advance(minutes=1)
    new_normal = open_ticket(store, "c", priority=3)
    clock.advance(minutes=1)
    high = open_ticket(store, "d", priority=2)
    ids = [ticket["id"] for ticket in store.queue()]
    assert ids == [urgent["id"], high["id"], old_normal["id"], new_normal["id"]]


def test_queue_leaves_out_closed_tickets_unless_all_are_asked_for(store, clock):
    first = open_ticket(store, "a")
    clock.advance(minutes=1)
    second = open_ticket(store, "b")
    store.close(first["id"], None, "resolved")
    assert [ticket["id"] for ticket in store.queue()] == [second["id"]]
    assert [ticket["id"] for ticket in store.queue("all")] == [second["id"], first["id"]]


def test_queue_keeps_assigned_tickets(store):
    ticket = open_ticket(store)
    store.claim(ticket["id"], "alice")
    assert [t["status"] for t in store.queue()] == ["assigned"]


def test_position_counts_waiting_tickets_ahead(store, clock):
    normal = open_ticket(store, "a", priority=3)
    clock.advance(minutes=1)
    high = open_ticket(store, "b", priority=2)
    clock.advance(minutes=1)
    later_high = open_ticket(store, "c", priority=2)
    assert store.position(high["id"]) == 1
    assert store.position(later_high["id"]) == 2
    assert store.position(normal["id"]) == 3
    store.claim(high["id"], "alice")
    assert store.position(high["id"]) == 0
    assert store.position(later_high["id"]) == 1
    assert store.position(normal["id"]) == 2


def test_position_of_an_unknown_ticket_is_404(store):
    assert refused(store.position, 42) is TicketNotFound


def test_waiting_time_stops_when_claimed(store, clock):
    ticket = open_ticket(store)
    clock.advance(minutes=2)
    assert store.get(ticket["id"])["waiting_seconds"] == 120
    store.claim(ticket["id"], "alice")
    clock.advance(minutes=10)
    assert store.get(ticket["id"])["waiting_seconds"] == 120


# --- Claim, own, transfer, close ---


def test_claim_assigns_the_ticket_and_logs_it(store, clock):
    ticket = open_ticket(store)
    clock.advance(minutes=1)
    claimed = store.claim(ticket["id"], "alice")
    assert (claimed["status"], claimed["assignee"]) == ("assigned", "alice")
    assert claimed["updated_at"] == "2026-11-24T11:01:00+00:00"
    assert claimed["history"][-1] == {
        "time": "2026-11-24T11:01:00+00:00",
        "event": "claimed",
        "agent": "alice",
        "detail": "",
    }


def test_a_colleagues_ticket_is_not_taken_without_a_transfer(store):
    ticket = open_ticket(store)
    store.claim(ticket["id"], "alice")
    with pytest.raises(TicketConflict, match="ask them to transfer"):
        store.claim(ticket["id"], "bob")
    assert store.get(ticket["id"])["assignee"] == "alice"


def test_an_admin_takes_a_ticket_over(store):
    ticket = open_ticket(store)
    store.claim(ticket["id"], "alice")
    taken = store.claim(ticket["id"], "admin", take_over=True)
    assert taken["assignee"] == "admin"
    assert taken["history"][-1]["detail"] == "from alice"


def test_claiming_your_own_ticket_again_is_harmless(store):
    ticket = open_ticket(store)
    store.claim(ticket["id"], "alice")
    assert store.claim(ticket["id"], "alice")["assignee"] == "alice"


def test_of_two_agents_claiming_at_once_one_wins(tmp_path):
    """Two stores (two processes) on one database, claiming in many threads at once."""
    import threading

    url = f"sqlite:///{tmp_path / 'race.db'}"
    stores = [TicketStore(make_engine(url)) for _ in range(2)]
    for _ in range(5):
        ticket = open_ticket(stores[0])
        outcomes: list[str] = []

        def claim(
            store: TicketStore, agent: str, ticket_id: int = ticket["id"], outcomes=outcomes
        ) -> None:
            try:
                store.claim(ticket_id, agent)
                outcomes.append(agent)
            except TicketConflict:
                outcomes.append("conflict")

        threads = [
            threading.Thread(target=claim, args=(stores[n % 2], f"agent{n}")) for n in range(6)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        winners = [outcome for outcome in outcomes if outcome != "conflict"]
        assert len(winners) == 1 and outcomes.count("conflict") == 5
        assert stores[1].get(ticket["id"])["assignee"] == winners[0]
        stores[0].close(ticket["id"], winners[0], "resolved")


def test_never_mind_cannot_return_a_ticket_an_agent_just_claimed(store):
    ticket = open_ticket(store)
    store.claim(ticket["id"], "alice")
    with pytest.raises(TicketConflict):
        store.close(ticket["id"], None, "returned_to_bot", only_if="waiting")
    assert store.get(ticket["id"])["status"] == "assigned"


def test_the_database_holds_one_open_ticket_per_conversation(store):
    from sqlalchemy.exc import IntegrityError

    from bot.handoff.models import Ticket

    first = open_ticket(store)
    with pytest.raises(IntegrityError), store._transaction() as session:
        now = datetime(2026, 11, 24)
        session.add(
            Ticket(
                conversation_id=first["conversation_id"],
                channel="rest",
                reason_code="request_human",
                status="waiting",
                created_at=now,
                updated_at=now,
            )
        )
    store.close(first["id"], None, "resolved")
    assert open_ticket(store)["id"] != first["id"]  # a closed one doesn't count


def test_claim_of_a_closed_or_unknown_ticket_is_refused(store):
    ticket = open_ticket(store)
    store.close(ticket["id"], None, "resolved")
    assert refused(store.claim, ticket["id"], "alice") is TicketConflict
    assert refused(store.claim, 999, "alice") is TicketNotFound


def test_only_the_assignee_owns_an_open_ticket(store):
    ticket = open_ticket(store)
    assert refused(store.check_owner, ticket["id"], "alice") is NotAllowed
    store.claim(ticket["id"], "alice")
    assert store.check_owner(ticket["id"], "alice")["assignee"] == "alice"
    assert refused(store.check_owner, ticket["id"], "bob") is NotAllowed
    store.close(ticket["id"], "alice", "resolved")
    assert refused(store.check_owner, ticket["id"], "alice") is TicketConflict
    assert refused(store.check_owner, 999, "alice") is TicketNotFound


def test_replies_are_logged_for_the_owner_only(store):
    ticket = open_ticket(store)
    assert refused(store.replied, ticket["id"], "alice", "hi") is NotAllowed
    store.claim(ticket["id"], "alice")
    replied = store.replied(ticket["id"], "alice", "x" * 300)
    assert replied["history"][-1]["event"] == "replied"
    assert replied["history"][-1]["detail"] == "x" * 200


def test_transfer_hands_the_ticket_to_a_colleague(store):
    ticket = open_ticket(store)
    store.claim(ticket["id"], "alice")
    moved = store.transfer(ticket["id"], "alice", "bob")
    assert moved["assignee"] == "bob"
    assert moved["status"] == "assigned"
    assert moved["history"][-1] == {
        "time": moved["updated_at"],
        "event": "transferred",
        "agent": "alice",
        "detail": "to bob",
    }
    assert refused(store.transfer, ticket["id"], "alice", "carol") is NotAllowed


def test_an_agent_holds_what_they_claimed_or_were_transferred(store):
    ticket = open_ticket(store)
    store.claim(ticket["id"], "alice")
    store.transfer(ticket["id"], "root", "bob", any_owner=True)  # an admin moves it
    moved = store.transfer(ticket["id"], "root", "carol", any_owner=True)
    assert store.held_by(moved, "carol")  # the assignee
    assert store.held_by(moved, "alice")  # claimed it
    assert store.held_by(moved, "bob")  # had it, by a transfer
    assert not store.held_by(moved, "dave")


def test_a_note_is_no_ownership(store):
    ticket = open_ticket(store)
    store.claim(ticket["id"], "alice")
    noted = store.note(ticket["id"], "bob", "peek")
    store.undelivered(ticket["id"], "bob", "made up")
    assert not store.held_by(store.get(ticket["id"]), "bob")
    assert not store.held_by(noted, "bob")


def test_transfer_rules(store):
    ticket = open_ticket(store)
    assert refused(store.transfer, ticket["id"], "alice", "bob") is NotAllowed
    store.claim(ticket["id"], "alice")
    assert refused(store.transfer, ticket["id"], "alice", "alice") is InvalidRequest
    store.close(ticket["id"], "alice", "resolved")
    assert refused(store.transfer, ticket["id"], "alice", "bob") is TicketConflict


def test_close_by_the_assignee(store, clock):
    ticket = open_ticket(store)
    store.claim(ticket["id"], "alice")
    clock.advance(minutes=5)
    closed = store.close(ticket["id"], "alice", "resolved")
    assert closed["status"] == "resolved"
    assert closed["history"][-1]["event"] == "resolved"
    assert closed["unread"] == 0


def test_close_by_someone_else_is_forbidden_but_the_system_may(store):
    ticket = open_ticket(store)
    store.claim(ticket["id"], "alice")
    assert refused(store.close, ticket["id"], "bob", "resolved") is NotAllowed
    returned = store.close(ticket["id"], None, "returned_to_bot")
    assert returned["status"] == "returned_to_bot"
    assert returned["history"][-1]["agent"] is None


def test_any_agent_may_close_an_unclaimed_ticket(store):
    ticket = open_ticket(store)
    assert store.close(ticket["id"], "bob", "returned_to_bot")["status"] == "returned_to_bot"


def test_closing_twice_is_a_conflict(store):
    ticket = open_ticket(store)
    store.close(ticket["id"], None, "returned_to_bot")
    with pytest.raises(TicketConflict) as error:
        store.close(ticket["id"], None, "resolved")
    assert error.value.message == "Ticket is already returned to bot"
    assert refused(store.close, 999, None, "resolved") is TicketNotFound


# --- Notes and history ---


def test_notes_are_kept_with_their_author(store, clock):
    ticket = open_ticket(store)
    clock.advance(minutes=3)
    noted = store.note(ticket["id"], "alice", "  Customer is a VIP  ")
    assert noted["notes"] == [
        {"time": "2026-11-24T11:03:00+00:00", "agent": "alice", "text": "Customer is a VIP"}
    ]
    assert noted["history"][-1]["event"] == "note"
    second = store.note(ticket["id"], "bob", "y" * (MAX_TEXT + 50))
    assert [note["agent"] for note in second["notes"]] == ["alice", "bob"]
    assert len(second["notes"][-1]["text"]) == MAX_TEXT


def test_an_empty_note_is_refused(store):
    ticket = open_ticket(store)
    assert refused(store.note, ticket["id"], "alice", "   ") is InvalidRequest
    assert refused(store.note, 999, "alice", "hello") is TicketNotFound


def test_history_tells_the_ticket_s_life_in_order(store, clock):
    ticket = open_ticket(store)
    for step in (
        lambda: store.claim(ticket["id"], "alice"),
        lambda: store.replied(ticket["id"], "alice", "On it"),
        lambda: store.transfer(ticket["id"], "alice", "bob"),
        lambda: store.close(ticket["id"], "bob", "resolved"),
    ):
        clock.advance(seconds=30)
        step()
    history = store.get(ticket["id"])["history"]
    assert [entry["event"] for entry in history] == [
        "created",
        "claimed",
        "replied",
        "transferred",
        "resolved",
    ]
    assert history[0] == {
        "time": "2026-11-24T11:00:00+00:00",
        "event": "created",
        "agent": None,
        "detail": "Asked for a person",
    }
    assert [entry["agent"] for entry in history] == [None, "alice", "alice", "alice", "bob"]


# --- Earlier tickets ---


def test_earlier_tickets_of_the_same_customer_across_conversations(store, clock):
    first = open_ticket(store, "web-maya", customer=MAYA)
    store.close(first["id"], None, "resolved")
    store.record_csat(first["id"], 2, "slow")
    clock.advance(hours=1)
    open_ticket(store, "tg-tom", customer=TOM)
    open_ticket(store, "web-anon")
    clock.advance(hours=1)
    second = open_ticket(store, "tg-maya", customer=MAYA)
    assert second["earlier_tickets"] == [
        {
            "id": first["id"],
            "created_at": "2026-11-24T11:00:00+00:00",
            "reason_code": "request_human",
            "summary": first["summary"],
            "status": "resolved",
            "csat_score": 2,
        }
    ]
    assert store.get(first["id"])["earlier_tickets"] == []


def test_earlier_tickets_of_the_same_anonymous_conversation(store, clock):
    first = open_ticket(store, "web-anon")
    store.close(first["id"], None, "returned_to_bot")
    clock.advance(minutes=10)
    open_ticket(store, "web-other")
    second = open_ticket(store, "web-anon")
    assert [ticket["id"] for ticket in second["earlier_tickets"]] == [first["id"]]


# --- CSAT and handling time ---


@pytest.mark.parametrize("score", [0, 6, -1])
def test_record_csat_refuses_scores_out_of_range(store, score):
    ticket = open_ticket(store)
    assert refused(store.record_csat, ticket["id"], score, None) is InvalidRequest


def test_record_csat_stores_score_and_comment(store):
    ticket = open_ticket(store)
    store.close(ticket["id"], None, "resolved")
    rated = store.record_csat(ticket["id"], 5, "Quick and kind")
    assert rated["csat"] == {"score": 5, "comment": "Quick and kind"}
    assert rated["history"][-1]["event"] == "csat"
    assert rated["history"][-1]["detail"] == "5"
    assert store.record_csat(ticket["id"], 1, "")["csat"] == {"score": 1, "comment": None}
    assert refused(store.record_csat, 999, 3, None) is TicketNotFound


def test_handle_seconds_defaults_without_finished_tickets(store):
    assert store.handle_seconds(default=360.0) == 360.0
    unclaimed = open_ticket(store)
    store.close(unclaimed["id"], None, "returned_to_bot")
    assert store.handle_seconds(default=360.0) == 360.0


def test_handle_seconds_is_the_median_from_claim_to_close(store, clock):
    for number, minutes in enumerate((1, 10, 2)):
        ticket = open_ticket(store, f"c{number}")
        clock.advance(minutes=30)
        store.claim(ticket["id"], "alice")
        clock.advance(minutes=minutes)
        store.close(ticket["id"], "alice", "resolved")
    open_ticket(store, "still-open")
    assert store.handle_seconds(default=360.0) == 120.0


# --- Presence ---


def test_agents_are_online_while_they_check_in(store, clock):
    assert store.online_agents(90) == []
    store.touch_agent("alice")
    store.touch_agent("bob")
    clock.advance(seconds=60)
    store.touch_agent("bob")
    assert store.online_agents(30) == ["bob"]
    assert store.online_agents(90) == ["alice", "bob"]
    clock.advance(seconds=50)
    assert store.online_agents(90) == ["bob"]


def test_sign_out_goes_offline_at_once(store):
    store.touch_agent("alice")
    store.touch_agent("bob")
    store.sign_out("bob")
    store.sign_out("nobody")
    assert store.online_agents(90) == ["alice"]


# --- Transcript snapshot and unread turns ---


def test_update_transcript_refreshes_transcript_and_context(store):
    ticket = open_ticket(store)
    turns = [customer_says("where is it"), customer_says("hello?")]
    store.update_transcript(ticket["id"], turns, {"wants": "Check a refund"})
    stored = store.get(ticket["id"])
    assert stored["transcript"] == turns
    assert stored["context"] == {"wants": "Check a refund"}
    more = [*turns, customer_says("anyone?")]
    store.update_transcript(ticket["id"], more)
    stored = store.get(ticket["id"])
    assert stored["transcript"] == more
    assert stored["context"] == {"wants": "Check a refund"}
    assert refused(store.update_transcript, 999, more) is TicketNotFound


@pytest.mark.parametrize(
    ("speakers", "unread"),
    [
        ([], 0),
        (["customer", "bot", "customer"], 2),
        (["customer", "agent", "customer"], 1),
        (["customer", "customer", "agent"], 0),
        (["customer", "agent", "system", "bot"], 0),
    ],
)
def test_unread_counts_customer_turns_since_the_agent_last_wrote(store, speakers, unread):
    transcript = [{"speaker": speaker, "text": "..."} for speaker in speakers]
    ticket = open_ticket(store, transcript=transcript)
    assert ticket["unread"] == unread


def test_unread_follows_the_updated_transcript_and_is_zero_once_closed(store):
    ticket = open_ticket(store, transcript=[customer_says("hi")])
    turns = [customer_says("hi"), {"speaker": "agent", "text": "Hello"}, customer_says("thanks")]
    store.update_transcript(ticket["id"], turns)
    assert store.queue()[0]["unread"] == 1
    store.close(ticket["id"], None, "resolved")
    assert store.get(ticket["id"])["unread"] == 0


# --- Restart ---


def test_everything_survives_a_restart(db_url, clock):
    engine = make_engine(db_url)
    before = TicketStore(engine, clock=clock)
    ticket = open_ticket(before, customer=MAYA)
    before.claim(ticket["id"], "alice")
    before.note(ticket["id"], "alice", "Refund already approved")
    before.touch_agent("alice")
    engine.dispose()

    engine = make_engine(db_url)
    try:
        after = TicketStore(engine, clock=clock)
        restored = after.get(ticket["id"])
        assert (restored["status"], restored["assignee"]) == ("assigned", "alice")
        assert restored["customer"] == MAYA
        assert [note["text"] for note in restored["notes"]] == ["Refund already approved"]
        assert [entry["event"] for entry in restored["history"]] == ["created", "claimed", "note"]
        assert after.open_for("web-1")["id"] == ticket["id"]
        assert after.online_agents(90) == ["alice"]
        assert open_ticket(after)["id"] == ticket["id"]
    finally:
        engine.dispose()


def test_with_redaction_on_free_text_is_stored_without_contact_details(db_url):
    redacting = TicketStore(make_engine(db_url), redaction=True)
    ticket = open_ticket(redacting)
    redacting.claim(ticket["id"], "alice")
    redacting.replied(ticket["id"], "alice", "I'll email you at maya.patel@example.com")
    redacting.note(ticket["id"], "alice", "She called from +44 7700 900123")
    redacting.record_csat(ticket["id"], 4, "reach me on maya.patel@example.com")
    stored = redacting.get(ticket["id"])
    text = str(stored["history"]) + str(stored["notes"]) + str(stored["csat"])
    assert "maya.patel@example.com" not in text and "7700 900123" not in text
    assert "[email]" in text and "[phone]" in text
