"""bot/channels/inbound.py: cleaning and checking what customers send, on every channel."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.channels.inbound import (
    BAD_JSON,
    EMPTY,
    MAX_BODY,
    MAX_TEXT,
    NOT_TEXT,
    TOO_BIG,
    TOO_LONG,
    InboundError,
    bearer,
    clean_text,
    credential,
    json_object,
    message_text,
    same_secret,
)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  where is my order?  ", "where is my order?"),
        ("a\x00b\x07c\x1bd", "abcd"),
        ("line one\nline two\tend", "line one\nline two\tend"),
        ("broken \ud800 surrogate", "broken  surrogate"),
        ("e\u0301", "é"),  # NFC
        ("🙂🙂", "🙂🙂"),
        ("שלום עולם", "שלום עולם"),
        ("\u202eevil", "\u202eevil"),  # a format character (Cf) is text, shown as text
    ],
)
def test_clean_text(raw, clean):
    assert clean_text(raw) == clean


@pytest.mark.parametrize(
    ("value", "status", "reason"),
    [
        (None, 400, NOT_TEXT),
        (42, 400, NOT_TEXT),
        (["hi"], 400, NOT_TEXT),
        ("", 400, EMPTY),
        (" \n\t\x00 ", 400, EMPTY),
        ("x" * (MAX_TEXT + 1), 413, TOO_LONG),
        ("x" * (MAX_TEXT * 2 + 1), 413, TOO_LONG),
    ],
)
def test_message_text_refuses(value, status, reason):
    with pytest.raises(InboundError) as refused:
        message_text(value)
    assert (refused.value.status, refused.value.message) == (status, reason)


def test_a_message_at_the_limit_passes():
    assert message_text("x" * MAX_TEXT) == "x" * MAX_TEXT


@pytest.mark.parametrize(
    ("raw", "status", "reason"),
    [
        (b"{oops", 400, BAD_JSON),
        (b"\xff\xfe", 400, BAD_JSON),
        (b"[1, 2]", 400, BAD_JSON),
        (b'"text"', 400, BAD_JSON),
        (b" " * (MAX_BODY + 1), 413, TOO_BIG),
    ],
)
def test_json_object_refuses(raw, status, reason):
    with pytest.raises(InboundError) as refused:
        json_object(raw)
    assert (refused.value.status, refused.value.message) == (status, reason)


def test_json_object_reads_an_object_and_an_empty_body():
    assert json_object(b'{"a": 1}') == {"a": 1}
    assert json_object(b"") == json_object(None) == json_object(b"  ") == {}


def test_secrets_and_bearer_tokens():
    assert same_secret("abc", "abc") and not same_secret("abd", "abc")
    assert not same_secret(None, "abc") and not same_secret("", "abc")
    assert bearer("Bearer tok en") == "tok en" and bearer("bearer t") == "t"
    assert bearer("Basic dXNlcg==") is None and bearer(None) is None and bearer("Bearer ") is None


# How Sanic's server hands on header bytes that are not UTF-8 (\xff\xfe): as lone surrogates.
UNDECODABLE = "\udcff\udcfe"


@pytest.mark.parametrize("given", [UNDECODABLE, "caf\u00e9", "\ud800", 42, None])
def test_a_credential_that_is_not_ascii_text_is_none(given: object) -> None:
    assert credential(given) is None


def test_a_credential_is_kept_as_it_is() -> None:
    assert credential("tok-en_1.2~") == "tok-en_1.2~"


def test_an_undecodable_secret_or_bearer_token_never_matches_nor_raises() -> None:
    assert not same_secret(UNDECODABLE, "abc")
    assert not same_secret(bearer("Bearer " + UNDECODABLE), "abc")
    assert bearer("Bearer " + UNDECODABLE) is None
    assert bearer("Bearer \u00ff\u00fe") is None  # the same bytes, decoded as Latin-1


@given(st.text())
def test_cleaned_text_can_always_be_stored(value):
    """No surrogate or control character survives: the text encodes as UTF-8 and as JSON."""
    cleaned = clean_text(value)
    cleaned.encode("utf-8")
    assert json.loads(json.dumps(cleaned)) == cleaned
    assert all(ch in "\n\t" or ord(ch) >= 32 for ch in cleaned if ord(ch) < 128)
    assert clean_text(cleaned) == cleaned


@given(st.one_of(st.none(), st.integers(), st.text(max_size=MAX_TEXT * 2 + 10), st.binary()))
def test_message_text_either_passes_clean_text_or_says_why(value):
    try:
        text = message_text(value)
    except InboundError as refused:
        assert refused.status in (400, 413) and refused.message
    else:
        assert text and text == clean_text(text) and len(text) <= MAX_TEXT


@given(st.binary(max_size=200))
def test_json_object_never_fails_otherwise(raw):
    try:
        assert isinstance(json_object(raw), dict)
    except InboundError as refused:
        assert refused.status == 400
