"""bot/tools/privacy.py: the export, delete and purge commands, run through main(argv)."""

from __future__ import annotations

import json
import stat
from datetime import timedelta

import pytest

from bot.privacy.personal_data import PersonalData
from bot.tools.privacy import NO_DAYS, NOT_CONFIRMED, NOTHING_FOUND, counted, main
from tests.support.relay_data import MAYA, NOW, TOM, relay_databases, two_customers

SETTINGS = (
    "RELAY_SHOP_DB_URL",
    "RELAY_RETENTION_DAYS",
    "RELAY_REDACT",
    *(f"RELAY_TRACKER_{name}" for name in ("DIALECT", "HOST", "DB", "USER", "PASSWORD")),
)


@pytest.fixture
def relay(tmp_path, monkeypatch):
    """Maya's and Tom's data where Relay's defaults put it: RELAY_DATA_DIR only."""
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RELAY_DATA_DIR", str(tmp_path))
    relay = relay_databases(tmp_path)
    two_customers(relay)
    yield relay
    relay.close()


def remaining(relay, email: str) -> dict[str, int]:
    data = PersonalData(relay.engines, clock=relay.clock)
    return data.preview(data.find(email=email))


def refuse(question: str) -> str:
    raise AssertionError(f"asked {question!r} though told --yes")


# export


def test_export_writes_the_customers_data_to_a_private_file(relay, tmp_path, capsys):
    out = tmp_path / "exports" / "maya.json"
    assert main(["export", "--email", MAYA, "--out", str(out)]) == 0

    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["summary"]["conversations"] == 4
    assert document["asked_for"] == {"email": MAYA}
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    said = capsys.readouterr().err
    assert f"sqlite:///{tmp_path / 'tracker.db'}" in said
    assert "Found: 4 conversations, 16 events, 2 tickets, 1 note, 6 history entries" in said
    assert "telegram-1001: 4 events (telegram_id of shop customer 1; ticket 1)" in said
    assert f"Wrote {out}" in said


def test_export_without_a_file_goes_to_stdout(relay, capsys):
    assert main(["export", "--customer-id", str(relay.customer_id(TOM))]) == 0
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert {item["conversation_id"] for item in document["conversations"]} == {
        "telegram-1002",
        "widget-visit-tom",
    }
    assert "Found:" in captured.err and "Found:" not in captured.out


def test_export_of_a_conversation(relay, capsys):
    assert main(["export", "--conversation", "widget-visit-tom"]) == 0
    assert json.loads(capsys.readouterr().out)["summary"]["conversations"] == 1


def test_export_of_someone_relay_does_not_know(relay, capsys):
    assert main(["export", "--email", "nobody@example.com"]) == 0
    captured = capsys.readouterr()
    assert NOTHING_FOUND in captured.err
    assert json.loads(captured.out)["summary"]["conversations"] == 0


def test_an_unknown_customer_id_is_an_error(relay, capsys):
    assert main(["export", "--customer-id", "999"]) == 1
    assert "error: No shop customer has id 999" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["export"],
        ["export", "--email", MAYA, "--customer-id", "1"],
        ["delete"],
        ["export", "--customer-id", "one"],
        ["purge", "--days", "many"],
        ["forget", "--email", MAYA],
        [],
    ],
)
def test_bad_usage_exits_with_2(relay, argv):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2


# delete


def test_delete_shows_what_it_will_delete_then_asks(relay, capsys):
    shown = []

    def ask(question: str) -> str:
        shown.append(capsys.readouterr().err)
        return "yes"

    assert main(["delete", "--email", MAYA], ask=ask) == 0

    (before,) = shown
    assert "To delete: 4 conversations, 16 events, 2 tickets, 1 note, 6 history entries" in before
    assert "1 outbox message, 2 look-up counters" in before
    assert "rest-maya-app: 3 events (ticket 2)" in before
    assert "The shop's own records (customers, orders) stay" in before
    assert "Deleted: 4 conversations" in capsys.readouterr().err
    assert set(remaining(relay, MAYA).values()) == {0}
    assert remaining(relay, TOM)["conversations"] == 2


@pytest.mark.parametrize("answer", ["no", "", "y", "DELETE"])
def test_delete_does_nothing_unless_confirmed(relay, capsys, answer):
    before = remaining(relay, MAYA)
    assert main(["delete", "--email", MAYA], ask=lambda question: answer) == 1
    assert NOT_CONFIRMED in capsys.readouterr().err
    assert remaining(relay, MAYA) == before


def test_delete_without_a_terminal_to_answer_from_does_nothing(relay, capsys):
    def no_terminal(question: str) -> str:
        raise EOFError

    assert main(["delete", "--email", MAYA], ask=no_terminal) == 1
    assert remaining(relay, MAYA)["conversations"] == 4


def test_delete_with_yes_does_not_ask(relay, capsys):
    assert main(["delete", "--conversation", "widget-visit-tom", "--yes"], ask=refuse) == 0
    assert "Deleted: 1 conversation, 3 events, 2 look-up counters" in capsys.readouterr().err
    assert remaining(relay, TOM)["conversations"] == 1


def test_delete_of_someone_relay_does_not_know(relay, capsys):
    assert main(["delete", "--email", "nobody@example.com"], ask=refuse) == 0
    assert NOTHING_FOUND in capsys.readouterr().err


# purge


def test_purge_needs_a_number_of_days(relay, capsys):
    assert main(["purge"]) == 1
    assert NO_DAYS in capsys.readouterr().err


def test_purge_refuses_zero_days(relay, capsys):
    assert main(["purge", "--days", "0"]) == 1
    assert "1 day or more" in capsys.readouterr().err


def test_purge_takes_the_days_from_the_settings(relay, monkeypatch, capsys):
    monkeypatch.setenv("RELAY_RETENTION_DAYS", "30")
    relay.converse("rest-old", "hello", at=NOW - timedelta(days=31))
    assert main(["purge"], clock=lambda: NOW) == 0
    said = capsys.readouterr().err
    assert "older than 30 days (before 2026-10-25 11:00 UTC)" in said
    assert "Deleted: 1 conversation, 3 events" in said
    assert remaining(relay, MAYA)["conversations"] == 4


def test_purge_days_on_the_command_line_win(relay, monkeypatch, capsys):
    monkeypatch.setenv("RELAY_RETENTION_DAYS", "365")
    assert main(["purge", "--days", "1"], clock=lambda: NOW + timedelta(days=2)) == 0
    assert remaining(relay, MAYA)["conversations"] == 0
    assert remaining(relay, MAYA)["tickets"] == 1  # the open one stays


def test_a_bad_setting_is_an_error(relay, monkeypatch, capsys):
    monkeypatch.setenv("RELAY_RETENTION_DAYS", "a month")
    assert main(["purge"]) == 1
    assert "RELAY_RETENTION_DAYS must be a whole number" in capsys.readouterr().err


# databases


def test_missing_databases_are_not_created(tmp_path, monkeypatch, capsys):
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("RELAY_DATA_DIR", str(empty))
    assert main(["export", "--email", MAYA]) == 1
    said = capsys.readouterr().err
    assert "warning: no conversations database at" in said
    assert "error: No database found" in said
    assert list(empty.iterdir()) == []


def test_counts_read_as_sentences():
    assert counted({"conversations": 1, "events": 0, "history": 2}) == (
        "1 conversation, 2 history entries"
    )
    assert counted({"webhook_deliveries": 3}) == "3 webhook deliveries"
    assert counted({"events": 0}) == "nothing"
