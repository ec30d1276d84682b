"""Who a conversation belongs to, as proven by the channel that opened it.

Every channel names its conversations in a namespace of its own, so a caller on
one channel can never reach another channel's conversation by naming its id:

    telegram-<chat id>   Telegram, through the webhook Telegram signs with its secret.
                         A private chat's id is the user's id, so it identifies them.
    widget-<session id>  A website widget session: a random id in an HMAC-signed token.
    site-<customer id>   A customer the shop's own website authenticated: the REST
                         channel with its token and `senders_are_customers`, or a widget
                         session whose customer id the shop signed.
    rest-<sender>        A caller of the REST channel, anonymous.

Only `telegram-` (private chats) and `site-` conversations identify a customer of
the shop; everyone else is a visitor until they prove an order with its email.
Nothing here imports Rasa: channels, actions and tools share it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

TELEGRAM = "telegram"
WIDGET = "widget"
SITE = "site"
REST = "rest"
NAMESPACES = (TELEGRAM, WIDGET, SITE, REST)
SEPARATOR = "-"

CustomerKey = Literal["telegram_id", "website_id"]


@dataclass(frozen=True)
class Address:
    """A conversation id taken apart: the namespace of its channel and the id in it."""

    namespace: str
    external_id: str

    def __str__(self) -> str:
        return f"{self.namespace}{SEPARATOR}{self.external_id}"


@dataclass(frozen=True)
class CustomerLink:
    """Which column of the shop's customers the conversation's owner is proven to have."""

    key: CustomerKey
    value: str


def conversation_id(namespace: str, external_id: str) -> str:
    """The conversation id of `external_id` in a channel's `namespace`."""
    if namespace not in NAMESPACES:
        raise ValueError(f"unknown namespace {namespace!r}; known: {NAMESPACES}")
    if not external_id:
        raise ValueError("an external id must not be empty")
    return str(Address(namespace, external_id))


def address(conversation: str) -> Address | None:
    """The namespace and external id of a conversation id; None outside the namespaces."""
    namespace, separator, external_id = conversation.partition(SEPARATOR)
    if not separator or namespace not in NAMESPACES or not external_id:
        return None
    return Address(namespace, external_id)


def external_id(conversation: str, namespace: str) -> str:
    """The id a channel knows a conversation by (a Telegram chat id, say).

    Raises:
        ValueError: The conversation is not in `namespace`, so it is not that channel's.
    """
    found = address(conversation)
    if found is None or found.namespace != namespace:
        raise ValueError(f"{conversation!r} is not a {namespace} conversation")
    return found.external_id


def customer_link(conversation: str) -> CustomerLink | None:
    """The shop customer this conversation proves, if its channel identifies one."""
    found = address(conversation)
    if found is None:
        return None
    if found.namespace == TELEGRAM and found.external_id.isascii() and found.external_id.isdigit():
        return CustomerLink("telegram_id", found.external_id)  # groups have negative ids
    if found.namespace == SITE:
        return CustomerLink("website_id", found.external_id)
    return None
