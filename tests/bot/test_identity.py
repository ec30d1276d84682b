"""bot/identity.py: conversation ids in channel namespaces, and whom they prove."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import identity
from bot.identity import Address, CustomerLink


@pytest.mark.parametrize(
    ("conversation", "expected"),
    [
        ("telegram-1001", Address("telegram", "1001")),
        ("telegram--100123", Address("telegram", "-100123")),
        ("widget-KgcR1Gc4mOq6ILqpx8aj1YXM", Address("widget", "KgcR1Gc4mOq6ILqpx8aj1YXM")),
        ("site-web-maya", Address("site", "web-maya")),
        ("rest-telegram-1001", Address("rest", "telegram-1001")),
    ],
)
def test_an_id_comes_apart_into_its_namespace_and_external_id(conversation, expected):
    assert identity.address(conversation) == expected
    assert str(expected) == conversation


@pytest.mark.parametrize("conversation", ["1001", "web-maya", "facebook-1", "rest-", "-1", ""])
def test_ids_outside_the_namespaces_belong_to_no_channel(conversation):
    assert identity.address(conversation) is None


@pytest.mark.parametrize(
    ("conversation", "link"),
    [
        ("telegram-1001", CustomerLink("telegram_id", "1001")),
        ("site-web-maya", CustomerLink("website_id", "web-maya")),
        ("telegram--100123", None),  # a group chat is nobody
        ("telegram-١٠٠١", None),  # digits, but not ASCII ones
        ("widget-KgcR1Gc4mOq6ILqpx8aj1YXM", None),
        ("rest-1001", None),
        ("rest-web-maya", None),
        ("1001", None),
        ("web-maya", None),
    ],
)
def test_only_telegram_private_chats_and_vouched_site_ids_are_customers(conversation, link):
    assert identity.customer_link(conversation) == link


def test_a_channel_reads_back_only_its_own_conversations():
    assert identity.external_id("telegram-1001", identity.TELEGRAM) == "1001"
    for other in ("rest-1001", "1001", "site-1001"):
        with pytest.raises(ValueError, match="not a telegram conversation"):
            identity.external_id(other, identity.TELEGRAM)


def test_conversation_ids_are_made_in_known_namespaces_only():
    assert identity.conversation_id(identity.REST, "abc") == "rest-abc"
    with pytest.raises(ValueError, match="unknown namespace"):
        identity.conversation_id("facebook", "abc")
    with pytest.raises(ValueError, match="must not be empty"):
        identity.conversation_id(identity.REST, "")


@given(st.sampled_from(identity.NAMESPACES), st.text(min_size=1))
def test_any_external_id_survives_the_round_trip(namespace, external):
    made = identity.conversation_id(namespace, external)
    assert identity.address(made) == Address(namespace, external)


@given(st.text())
def test_a_rest_caller_can_never_name_another_namespace(sender):
    """Whatever a REST caller sends, its conversation stays in `rest-` and proves nobody."""
    if not sender:
        return
    made = identity.conversation_id(identity.REST, sender)
    assert identity.address(made).namespace == identity.REST
    assert identity.customer_link(made) is None
