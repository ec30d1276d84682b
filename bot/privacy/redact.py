"""Redaction of emails, phone numbers and card numbers in free text.

    redact("call me on +44 7700 900123 or maya@example.com")
    -> "call me on [phone] or [email]"

Pure functions, no I/O. Numbers a support chat is full of are left alone: order
numbers (100231), dates (2026-11-24, 24/11/2026, 24.11.2026), times, prices
(£12.99, 1,299.00) and postcodes (SW1A 1AA, 90210-1234). A run of digit groups
(joined by single spaces, dashes or dots) is redacted only where part of it reads
as a card number (13-19 digits that pass the Luhn check, spaces or dashes only) or
a phone number (international with + or 00, national with a leading 0, or North
American 3-3-4 groups); the longest such part from the left wins, so an order number
next to a phone number stays.

It is a heuristic: digits written like a phone number are taken for one (a US ZIP code
starting with 0 right before a six-digit order number reads as 02134 900123 would), and
a phone number written like something else (ten bare digits, an unusual grouping) stays.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

EMAIL_MARK = "[email]"
PHONE_MARK = "[phone]"
CARD_MARK = "[card]"

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}")
# Spans that are never a phone or card number, even when digits surround them.
PROTECTED = re.compile(
    r"(?<![\d./-])\d{4}([./-])\d{1,2}\1\d{1,2}(?![./-]?\d)"  # dates, year first
    r"|(?<![\d./-])\d{1,2}([./-])\d{1,2}\2\d{2,4}(?![./-]?\d)"  # dates, day or month first
    r"|(?<!\d)\d{1,2}:\d{2}(?::\d{2})?(?!\d)"  # times
    r"|[£$€]\s?\d+(?:[.,]\d+)*"  # prices with a currency
    r"|(?<![\d.,])\d+[.,]\d{2}(?![\d.,])"  # amounts with pence or cents
)
TOKEN = re.compile(r"\(\d{1,5}\)|\d+")
RUN = re.compile(r"\+?(?:\(\d{1,5}\)|\d+)(?:[ .-]?(?:\(\d{1,5}\)|\d+))*")

CARD_DIGITS = range(13, 20)
CARD_GROUPS = ([4, 6, 5], [4, 6, 4])  # American Express, Diners Club; others in fours
INTERNATIONAL_DIGITS = range(8, 16)  # E.164: at most 15
INTERNATIONAL_00_DIGITS = range(10, 18)  # the same, dialled with 00 in front
NATIONAL_DIGITS = range(10, 12)  # 0 and a 9-10 digit number (UK, France, Germany, ...)
NANP_GROUPS = ([3, 3, 4], [1, 3, 3, 4])  # (555) 123-4567, 1-555-123-4567


def luhn_valid(digits: str) -> bool:
    """Whether a string of digits passes the Luhn check that card numbers carry."""
    if not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def is_card_number(candidate: str) -> bool:
    """Whether `candidate` reads as a card number: 13-19 digits that pass the Luhn check,
    written in one piece or in groups of four (Amex: 4-6-5) split by spaces or dashes."""
    if not re.fullmatch(r"\d(?:[ -]?\d)*", candidate) or (" " in candidate and "-" in candidate):
        return False
    groups = [len(group) for group in re.split(r"[ -]", candidate)]
    fours = all(size == 4 for size in groups[:-1]) and groups[-1] <= 4
    if len(groups) > 1 and not fours and groups not in CARD_GROUPS:
        return False
    digits = re.sub(r"\D", "", candidate)
    return len(digits) in CARD_DIGITS and luhn_valid(digits)


def is_phone_number(candidate: str) -> bool:
    """Whether `candidate` (digit groups, maybe a leading + and an area code in
    parentheses) reads as a phone number."""
    if not RUN.fullmatch(candidate):
        return False
    digits = re.sub(r"\D", "", candidate)
    if candidate.startswith("+"):
        return len(digits) in INTERNATIONAL_DIGITS
    if candidate.startswith("00"):  # then a country code, which never starts with 0
        return len(digits) in INTERNATIONAL_00_DIGITS and digits[2] != "0"
    if candidate.lstrip("(").startswith("0"):  # then an area code, which never starts with 0
        return len(digits) in NATIONAL_DIGITS and digits[1] != "0"
    groups = [len(re.sub(r"\D", "", token)) for token in TOKEN.findall(candidate)]
    if groups not in NANP_GROUPS or (len(digits) == 11 and digits[0] != "1"):
        return False
    return digits[-10] not in "01"  # area codes start with 2-9


def _mark(candidate: str) -> str | None:
    if not candidate.startswith("+") and "(" not in candidate and is_card_number(candidate):
        return CARD_MARK
    return PHONE_MARK if is_phone_number(candidate) else None


def _redact_run(run: str) -> str:
    """The run of digit groups with its card and phone numbers replaced."""
    spans = [(token.start(), token.end()) for token in TOKEN.finditer(run)]
    pieces: list[str] = []
    done = 0  # where the text not yet copied starts
    first = 0
    while first < len(spans):
        start = 0 if first == 0 else spans[first][0]  # the + belongs to the first group
        for last in range(len(spans) - 1, first - 1, -1):
            mark = _mark(run[start : spans[last][1]])
            if mark is not None:
                pieces += [run[done:start], mark]
                done = spans[last][1]
                first = last + 1
                break
        else:
            first += 1
    return "".join(pieces) + run[done:]


def _word_char(text: str, index: int) -> bool:
    return 0 <= index < len(text) and (text[index].isalnum() or text[index] == "_")


def _free_spans(text: str) -> Iterator[tuple[int, int]]:
    """The stretches of `text` between the protected spans (dates, times, prices)."""
    start = 0
    for found in PROTECTED.finditer(text):
        yield start, found.start()
        start = found.end()
    yield start, len(text)


def redact_emails(text: str) -> str:
    """`text` with every email address replaced by [email]."""
    return EMAIL.sub(EMAIL_MARK, text)


def redact_numbers(text: str) -> str:
    """`text` with card numbers replaced by [card] and phone numbers by [phone]."""
    pieces: list[str] = []
    done = 0
    for start, end in _free_spans(text):
        for found in RUN.finditer(text, start, end):
            # Digits inside a word (a postcode, a tracking code, a name) are not numbers.
            if _word_char(text, found.start() - 1) or _word_char(text, found.end()):
                continue
            pieces += [text[done : found.start()], _redact_run(found.group())]
            done = found.end()
    return "".join(pieces) + text[done:]


def redact(text: str) -> str:
    """`text` with emails, card numbers and phone numbers replaced by [email], [card], [phone].

    Args:
        text: Free text, such as a customer's message.

    Returns:
        The text with every recognised personal number or address replaced; the rest is
        unchanged, character for character.
    """
    if not text:
        return text
    return redact_numbers(redact_emails(text))
