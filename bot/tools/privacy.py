"""Personal data on request: export a customer's data, delete it, purge old data.

    python -m bot.tools.privacy export --email maya.patel@example.com --out maya.json
    python -m bot.tools.privacy delete --email maya.patel@example.com [--yes]
    python -m bot.tools.privacy purge [--days 90]

A customer is named by `--email`, `--customer-id` (the shop's) or `--conversation`.
`delete` lists what it found and asks before deleting anything, unless `--yes`.
`purge` deletes chat data older than `--days`, by default RELAY_RETENTION_DAYS, and
refuses to run without one of them. The databases are the ones Relay runs on
(RELAY_SHOP_DB_URL, RELAY_TRACKER_*); the shop's own records are exported, never
deleted. Messages go to stderr, an export without `--out` to stdout.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.privacy.personal_data import NotFound, PersonalData, to_json, utcnow
from bot.privacy.records import SHOP, TRACKER, Subject
from bot.privacy.retention import cutoff, purge
from bot.secret_files import write_secret
from bot.settings import Settings, load_settings

CONFIRM = "yes"
NO_DAYS = "Give --days N, or set RELAY_RETENTION_DAYS: purge keeps data unless told how long."
NOT_CONFIRMED = f"Nothing was deleted (answer {CONFIRM!r} to confirm, or pass --yes)."
NOTHING_FOUND = "Relay holds nothing about them."
# How the counts read: (one, many); a store added later falls back to its key.
LABELS = {
    "conversations": ("conversation", "conversations"),
    "events": ("event", "events"),
    "tickets": ("ticket", "tickets"),
    "notes": ("note", "notes"),
    "history": ("history entry", "history entries"),
    "outbox": ("outbox message", "outbox messages"),
    "lookup_counters": ("look-up counter", "look-up counters"),
    "shop_customers": ("shop customer", "shop customers"),
    "orders": ("order", "orders"),
}
DATABASES = {TRACKER: "conversations", SHOP: "shop and tickets"}

Ask = Callable[[str], str]
Say = Callable[[str], None]
Clock = Callable[[], datetime]


class CommandError(Exception):
    """A reason the command cannot run, said to the operator as it is."""


def counted(counts: Mapping[str, int]) -> str:
    """'4 conversations, 16 events, 1 ticket, ...' (only the kinds there are)."""
    parts = []
    for key, number in counts.items():
        if not number:
            continue
        one, many = LABELS.get(key, (key.replace("_", " "), key.replace("_", " ")))
        parts.append(f"{number} {one if number == 1 else many}")
    return ", ".join(parts) if parts else "nothing"


def open_database(url: str) -> Engine | None:
    """An engine for `url`; None for an SQLite file that does not exist (nothing is
    created where a setting points by mistake)."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() == "sqlite" and database and database != ":memory:":
        if not Path(database).is_file():
            return None
    return create_engine(url, future=True)


def open_databases(settings: Settings, say: Say) -> dict[str, Engine]:
    """Relay's databases by name, each announced; a missing SQLite file is skipped."""
    engines = {}
    for name, url in ((TRACKER, settings.tracker_db_url), (SHOP, settings.shop_db_url)):
        shown = make_url(url).render_as_string(hide_password=True)
        engine = open_database(url)
        if engine is None:
            say(f"warning: no {DATABASES[name]} database at {shown}: skipped")
        else:
            say(f"Using {DATABASES[name]} at {shown}")
            engines[name] = engine
    if not engines:
        raise CommandError("No database found: check RELAY_DATA_DIR and the RELAY_* settings.")
    return engines


def _asked_for(args: argparse.Namespace) -> dict[str, Any]:
    pairs = (
        ("email", args.email),
        ("customer_id", args.customer_id),
        ("conversation_id", args.conversation),
    )
    return {key: value for key, value in pairs if value is not None}


def _find(data: PersonalData, args: argparse.Namespace) -> tuple[Subject, dict[str, Any]]:
    asked_for = _asked_for(args)
    try:
        return data.find(**asked_for), asked_for
    except (ValueError, NotFound) as error:
        raise CommandError(str(error)) from error


def _report(document: Mapping[str, Any], say: Say) -> None:
    """What was found, conversation by conversation."""
    say(f"Found: {counted(document['summary'])}")
    found_through = document["subject"]["conversations"]
    for conversation in document["conversations"]:
        name = conversation["conversation_id"]
        why = "; ".join(found_through.get(name, []))
        say(f"  {name}: {len(conversation['events'])} events ({why})")
    for ticket in document["tickets"]:
        say(f"  ticket {ticket['id']} ({ticket['status']}) of {ticket['conversation_id']}")


def export(data: PersonalData, args: argparse.Namespace, say: Say) -> int:
    subject, asked_for = _find(data, args)
    document = data.export(subject, asked_for)
    _report(document, say)
    if not any(document["summary"].values()):
        say(NOTHING_FOUND)
    text = to_json(document)
    if args.out is None:
        sys.stdout.write(text)
    else:
        write_secret(args.out, text.encode("utf-8"))  # personal data: readable by the owner only
        say(f"Wrote {args.out}")
    return 0


def delete(data: PersonalData, args: argparse.Namespace, say: Say, ask: Ask) -> int:
    subject, asked_for = _find(data, args)
    document = data.export(subject, asked_for)
    erasable = data.preview(subject)
    if not any(erasable.values()):
        say(NOTHING_FOUND if not any(document["summary"].values()) else "No chat data to delete.")
        return 0
    _report(document, say)
    if document["shop"]:
        say("The shop's own records (customers, orders) stay: they are not chat data.")
    say(f"To delete: {counted(erasable)}")
    if not args.yes:
        try:
            answer = ask(f"Delete all of this? Type {CONFIRM!r} to confirm: ")
        except EOFError:  # no terminal to answer from
            answer = ""
        if answer.strip().lower() != CONFIRM:
            say(NOT_CONFIRMED)
            return 1
    say(f"Deleted: {counted(data.delete(subject))}")
    return 0


def purge_old(engines: Mapping[str, Engine], days: int, say: Say, clock: Clock) -> int:
    try:
        before = cutoff(days, clock())
    except ValueError as error:
        raise CommandError(str(error)) from error
    period = "1 day" if days == 1 else f"{days} days"
    say(f"Purging chat data older than {period} (before {before:%Y-%m-%d %H:%M} UTC)")
    say(f"Deleted: {counted(purge(engines, days, clock=clock))}")
    return 0


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot.tools.privacy",
        description="Export or delete a customer's personal data; purge old chat data.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (
        ("export", "write everything Relay holds about a customer as JSON"),
        ("delete", "delete a customer's conversations, tickets, outbox and counters"),
    ):
        command = commands.add_parser(name, help=help_text)
        who = command.add_mutually_exclusive_group(required=True)
        who.add_argument("--email", help="the customer's email address")
        who.add_argument("--customer-id", type=int, help="the customer's id in the shop")
        who.add_argument("--conversation", help="a conversation id (telegram-42, widget-...)")
        if name == "export":
            command.add_argument("--out", type=Path, help="file to write (default: stdout)")
        else:
            command.add_argument("--yes", action="store_true", help="do not ask to confirm")
    old = commands.add_parser("purge", help="delete chat data older than N days")
    old.add_argument("--days", type=int, help="default: RELAY_RETENTION_DAYS")
    return parser


def main(argv: list[str] | None = None, ask: Ask = input, clock: Clock = utcnow) -> int:
    """Runs the command in `argv`.

    Args:
        argv: The command line (default: `sys.argv[1:]`).
        ask: Asks the operator to confirm a deletion and returns the answer.
        clock: The current time (naive UTC), for purge.

    Returns:
        The exit status: 0 done, 1 an error or a deletion not confirmed, 2 bad usage.
    """
    args = parser().parse_args(argv)

    def say(message: str) -> None:
        print(message, file=sys.stderr)

    try:
        settings = load_settings()
        days = None
        if args.command == "purge":
            days = args.days if args.days is not None else settings.retention_days
            if days is None:
                raise CommandError(NO_DAYS)
        engines = open_databases(settings, say)
        try:
            if days is not None:
                return purge_old(engines, days, say, clock)
            data = PersonalData(engines, clock=clock)
            if args.command == "export":
                return export(data, args, say)
            return delete(data, args, say, ask)
        finally:
            for engine in engines.values():
                engine.dispose()
    except (CommandError, ValueError) as error:
        say(f"error: {error}")
        return 1
    except SQLAlchemyError as error:
        say(f"error: the database refused: {error}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
