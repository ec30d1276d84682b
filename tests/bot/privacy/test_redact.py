"""bot/privacy/redact.py: emails, phone and card numbers out; order numbers, dates,
prices and postcodes stay."""

from __future__ import annotations

import string

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.privacy.redact import (
    CARD_MARK,
    EMAIL_MARK,
    PHONE_MARK,
    is_card_number,
    is_phone_number,
    luhn_valid,
    redact,
    redact_emails,
)

WORDS = st.sampled_from(
    ["hi", "my", "is", "call", "thanks", "order", "please", "ok", "—", "(", "!"]
)
PREFIX = st.lists(WORDS, max_size=3).map(" ".join)
SUFFIX = st.lists(WORDS, max_size=3).map(" ".join)


def around(prefix: str, middle: str, suffix: str) -> str:
    return " ".join(part for part in (prefix, middle, suffix) if part)


def with_check_digit(body: str) -> str:
    """`body` and the digit that makes it pass the Luhn check."""
    return next(body + digit for digit in string.digits if luhn_valid(body + digit))


def grouped(digits: str, sizes: list[int], separator: str) -> str:
    groups, start = [], 0
    for size in sizes:
        if start < len(digits):
            groups.append(digits[start : start + size])
            start += size
    if start < len(digits):
        groups.append(digits[start:])
    return separator.join(groups)


# Examples


def test_the_example_from_the_issue():
    assert redact("call me on +44 7700 900123 or maya@example.com") == (
        "call me on [phone] or [email]"
    )


@pytest.mark.parametrize(
    "text, expected",
    [
        ("maya.patel@example.com", EMAIL_MARK),
        ("write to Maya.Patel+shop@mail.example.co.uk.", f"write to {EMAIL_MARK}."),
        ("card 4111 1111 1111 1111 please", f"card {CARD_MARK} please"),
        ("4111-1111-1111-1111", CARD_MARK),
        ("I paid with 4111111111111111", f"I paid with {CARD_MARK}"),
        ("amex 3782 822463 10005", f"amex {CARD_MARK}"),
        ("07700 900123", PHONE_MARK),
        ("07700900123", PHONE_MARK),
        ("020 7946 0958", PHONE_MARK),
        ("+44 (0)20 7946 0958", PHONE_MARK),
        ("0044 7700 900123", PHONE_MARK),
        ("+33 1 23 45 67 89", PHONE_MARK),
        ("01.23.45.67.89", PHONE_MARK),
        ("(555) 123-4567", PHONE_MARK),
        ("555-123-4567 or 1-555-123-4567", f"{PHONE_MARK} or {PHONE_MARK}"),
        ("ring 07700 900123!", f"ring {PHONE_MARK}!"),
        # A neighbouring order number, date or count stays.
        ("order 100231 07700 900123", f"order 100231 {PHONE_MARK}"),
        ("07700 900123 2 times", f"{PHONE_MARK} 2 times"),
        ("on 2026-11-24 07700 900123", f"on 2026-11-24 {PHONE_MARK}"),
        ("07700 900123 at 10:30", f"{PHONE_MARK} at 10:30"),
    ],
)
def test_redacts(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "where is order 100231?",
        "orders 100231 100245 and #100198",
        "placed 2026-11-24 11:00, delivered 24/11/2026 or 24.11.2026 at 09:15:30",
        "2026-11-24T11:00:00",
        "it cost £1,299.00, then 12.99 and $5, € 40",
        "SW1A 1AA, EH7 4AA, 90210 and 90210-1234",
        "tracking RM123456785GB and 15501234567890",  # a card-like length, but not Luhn
        "4111 1111 1111 1112",  # fails the Luhn check
        "192.168.100.231",
        "1234567890",  # ten bare digits: a tracking or account number as often as a phone
        "x@y, @maya, maya@, a @ b.com",
        "",
    ],
)
def test_keeps(text):
    assert redact(text) == text


def test_luhn():
    assert luhn_valid("4111111111111111")
    assert luhn_valid("79927398713")
    assert not luhn_valid("4111111111111112")
    assert not luhn_valid("4111 1111")
    assert not luhn_valid("")


def test_card_and_phone_checks_read_one_candidate():
    assert is_card_number("4111-1111-1111-1111")
    assert not is_card_number("4111.1111.1111.1111")  # dots: not how card numbers are written
    assert not is_card_number("411111111111")  # 12 digits
    assert not is_card_number("4111 1111-1111 1111")  # mixed separators
    assert not is_card_number("736800 538 000 0000")  # passes Luhn, but not grouped as cards are
    assert is_phone_number("+44 7700 900123")
    assert not is_phone_number("+44 77")
    assert not is_phone_number("100231")
    assert not is_phone_number("155 012 3456")  # area codes never start with 1
    assert not is_phone_number("phone")


def test_redact_emails_leaves_numbers():
    assert redact_emails("maya@example.com 07700 900123") == f"{EMAIL_MARK} 07700 900123"


# Properties

EMAILS = st.builds(
    "{}@{}.{}".format,
    st.from_regex(r"[a-z0-9](?:[a-z0-9._+-]{0,12}[a-z0-9])?", fullmatch=True),
    st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True),
    st.from_regex(r"[a-z]{2,6}", fullmatch=True),
)
CARD_NUMBERS = (
    st.integers(12, 18)
    .flatmap(lambda length: st.text(string.digits, min_size=length, max_size=length))
    .map(with_check_digit)
)
CARDS = st.builds(
    lambda number, amex, separator: grouped(
        number, [4, 6, 5] if amex and len(number) == 15 else [4] * 4, separator
    ),
    CARD_NUMBERS,
    st.booleans(),
    st.sampled_from([" ", "-", ""]),
)
UK_PHONES = st.builds(
    grouped,
    st.text(string.digits, min_size=9, max_size=9).map(lambda rest: "07" + rest),
    st.sampled_from([[5, 6], [5, 3, 3], [11]]),
    st.sampled_from([" ", ""]),
)
INTERNATIONAL_PHONES = st.builds(
    lambda code, number, sizes: f"+{code} " + grouped(number, sizes, " "),
    st.sampled_from(["1", "33", "44", "49", "353"]),
    st.text(string.digits, min_size=9, max_size=10).filter(lambda number: number[0] != "0"),
    st.sampled_from([[4, 6], [3, 3, 4], [2, 2, 2, 2, 2], [10]]),
)
NANP_PHONES = st.builds(
    lambda area, exchange, line, style: style.format(area, exchange, line),
    st.integers(200, 999),
    st.integers(0, 999).map("{:03d}".format),
    st.integers(0, 9999).map("{:04d}".format),
    st.sampled_from(["({}) {}-{}", "{}-{}-{}", "{}.{}.{}", "{} {} {}", "1-{}-{}-{}"]),
)
PHONES = st.one_of(UK_PHONES, INTERNATIONAL_PHONES, NANP_PHONES)

ORDER_NUMBERS = st.integers(100000, 999999).map(str)
DATES = st.builds(
    lambda day, style: day.strftime(style),
    st.dates(),
    st.sampled_from(["%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%m-%d-%Y", "%Y-%m-%d %H:%M", "%d %B %Y"]),
).filter(lambda text: len(text.split()[0]) >= 8)  # years before 1000 are not written so
TIMES = st.builds("{:02d}:{:02d}".format, st.integers(0, 23), st.integers(0, 59))
PRICES = st.builds(
    lambda amount, style: style.format(amount),
    st.decimals(0, 99999, places=2),
    st.sampled_from(["£{:,}", "${}", "€ {}", "{}", "{:,} GBP"]),
)
POSTCODES = st.one_of(
    st.from_regex(r"[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}", fullmatch=True),
    st.from_regex(r"[0-9]{5}(-[0-9]{4})?", fullmatch=True),
)
HARMLESS = st.one_of(ORDER_NUMBERS, DATES, TIMES, PRICES, POSTCODES)


@given(PREFIX, EMAILS, SUFFIX)
@example("", "maya.patel@example.com", "")
def test_any_email_is_redacted(prefix, email, suffix):
    assert redact(around(prefix, email, suffix)) == around(prefix, EMAIL_MARK, suffix)


@given(PREFIX, CARDS, SUFFIX)
@example("card", "4111 1111 1111 1111", "")
def test_any_card_number_is_redacted(prefix, card, suffix):
    assert redact(around(prefix, card, suffix)) == around(prefix, CARD_MARK, suffix)


@given(PREFIX, PHONES, SUFFIX)
@example("call me on", "+44 7700 900123", "")
def test_any_phone_number_is_redacted(prefix, phone, suffix):
    assert redact(around(prefix, phone, suffix)) == around(prefix, PHONE_MARK, suffix)


@given(st.lists(st.tuples(PREFIX, HARMLESS), min_size=1, max_size=4))
@example([("order", "100231"), ("", "2026-11-24")])
def test_order_numbers_dates_prices_and_postcodes_stay(pieces):
    text = ", ".join(around(prefix, value, "") for prefix, value in pieces)
    assert redact(text) == text


@given(st.lists(ORDER_NUMBERS, min_size=1, max_size=5), st.sampled_from([" ", ", ", " and "]))
def test_order_numbers_in_a_row_stay(orders, separator):
    text = "orders " + separator.join(orders)
    assert redact(text) == text


@given(ORDER_NUMBERS, PHONES, DATES)
def test_a_phone_among_other_numbers_goes_alone(order, phone, day):
    text = f"order {order} {phone} on {day}"
    assert redact(text) == f"order {order} {PHONE_MARK} on {day}"


@given(st.text(alphabet=st.characters(blacklist_characters="0123456789@")))
def test_text_without_digits_or_at_signs_is_unchanged(text):
    assert redact(text) == text


@given(st.text())
@example("07700 900123 2 4111 1111 1111 1111 maya@example.com 2026-11-24")
def test_redacting_twice_changes_nothing_more(text):
    once = redact(text)
    assert redact(once) == once


@given(st.lists(st.one_of(EMAILS, CARDS, PHONES, HARMLESS, WORDS), max_size=8).map(" ".join))
def test_no_email_survives(text):
    assert "@" not in redact(text)
