"""End to end: Telegram updates into the real Rasa and action servers, replies out to the Bot API.

The Rasa server (tests/e2e/conftest.py) runs with the Telegram channel configured from
the environment and its Bot pointed at a local stand-in for the Bot API
(tests/e2e/telegram_api.py), which records what the bot sends. Telegram user 1001 is
the seeded customer Maya.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import yaml

from bot.settings import ROOT
from tests.e2e.conftest import TELEGRAM_SECRET
from tests.e2e.console import ConsoleClient
from tests.e2e.servers import TOKEN, Relay, http
from tests.e2e.telegram_api import MAYA, Call, TelegramApi, callback_update, message_update

SECRET = TELEGRAM_SECRET
WEBHOOK = "/webhooks/relay_telegram/webhook"
RESPONSES = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]
TOM = {"id": 1002, "is_bot": False, "first_name": "Tom", "language_code": "de"}
STRANGER = {"id": 5550001, "is_bot": False, "first_name": "Jo", "language_code": "en"}
ANOTHER = {"id": 5550002, "is_bot": False, "first_name": "Sam"}
NEWCOMER = {"id": 5550003, "is_bot": False, "first_name": "Zoe", "language_code": "fr"}


def said(response: str, **values: Any) -> str:
    return RESPONSES[response][0]["text"].format(**values)


@pytest.fixture(scope="module")
def relay(telegram_relay: Relay) -> Relay:
    return telegram_relay


def post(relay: Relay, update: dict[str, Any], secret: str = SECRET) -> tuple[int, Any]:
    return http(
        "POST", f"{relay.url}{WEBHOOK}", update, headers={"X-Telegram-Bot-Api-Secret-Token": secret}
    )


def sent_to(api: TelegramApi, chat: int) -> list[Call]:
    return api.requests("sendMessage", str(chat))


def wait_for_text(api: TelegramApi, relay: Relay, chat: int, part: str, after: int = 0) -> Call:
    """The first message to `chat` (after the first `after`) that contains `part`."""

    def found(calls: list[Call]) -> Call | None:
        mine = [c for c in calls if c.chat_id == str(chat)][after:]
        return next((c for c in mine if part in c.text), None)

    api.wait_for(lambda calls: found(calls) is not None, seconds=60, method="sendMessage")
    call = found(api.requests("sendMessage"))
    assert call is not None, (part, [c.text for c in sent_to(api, chat)], relay.log_tail())
    return call


def tracker(relay: Relay, chat: int, turns: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The conversation once it holds `turns` customer messages (it is saved after the
    replies are sent), and those messages."""
    deadline = time.monotonic() + 30
    while True:
        status, body = http(
            "GET", f"{relay.url}/conversations/telegram-{chat}/tracker?token={TOKEN}"
        )
        assert status == 200, body
        users = [event for event in body["events"] if event["event"] == "user"]
        if len(users) >= turns or time.monotonic() > deadline:
            return body, users
        time.sleep(0.2)


def test_the_channel_is_up_and_checks_the_secret(relay: Relay, api: TelegramApi) -> None:
    status, body = http("GET", f"{relay.url}/webhooks/relay_telegram/")
    assert (status, body) == (200, {"status": "ok"})
    assert post(relay, message_update("hi", user=STRANGER), secret="not-the-secret")[0] == 403
    assert sent_to(api, STRANGER["id"]) == []


def test_start_greets_maya_by_name_and_she_gets_her_order_status(
    relay: Relay, api: TelegramApi
) -> None:
    assert post(relay, message_update("/start"))[0] == 200
    greeting = wait_for_text(api, relay, 1001, "Maya")
    assert greeting.text == said("utter_greet_known", name="Maya")
    assert api.requests("sendChatAction", "1001")[0].params["action"] == "typing"

    before = len(sent_to(api, 1001))
    assert post(relay, message_update("where is my order 100231"))[0] == 200
    status = wait_for_text(api, relay, 1001, "RM123456785GB", after=before)
    assert "Royal Mail" in status.text

    conversation, [start, question] = tracker(relay, 1001, turns=2)
    assert conversation["latest_input_channel"] == "relay_telegram"
    assert conversation["slots"]["customer_name"] == "Maya"
    assert (start["text"], start["parse_data"]["intent"]["name"]) == ("/greet", "greet")
    assert question["text"] == "where is my order 100231"
    assert question["metadata"]["first_name"] == "Maya"
    assert question["metadata"]["language_code"] == "en"
    assert question["metadata"]["telegram_user_id"] == MAYA["id"]


def test_a_new_customer_is_greeted_by_their_telegram_first_name(
    relay: Relay, api: TelegramApi
) -> None:
    assert post(relay, message_update("/start", user=NEWCOMER))[0] == 200
    greeting = wait_for_text(api, relay, NEWCOMER["id"], "Zoe")
    assert greeting.text == said("utter_greet_named", name="Zoe")


def test_a_button_press_is_answered_and_continues_the_conversation(
    relay: Relay, api: TelegramApi
) -> None:
    chat = STRANGER["id"]
    assert post(relay, message_update("cancel order 100205 please", user=STRANGER))[0] == 200
    offer = wait_for_text(api, relay, chat, "already left our warehouse")
    keyboard = offer.json("reply_markup")["inline_keyboard"]
    [button] = [b for row in keyboard for b in row if b.get("callback_data") == "/return_item"]

    before = len(sent_to(api, chat))
    press = callback_update(button["callback_data"], user=STRANGER, keyboard=keyboard)
    assert post(relay, press)[0] == 200
    api.wait_for(
        lambda calls: len([c for c in calls if c.chat_id == str(chat)]) > before,
        method="sendMessage",
    )
    [answered] = api.requests("answerCallbackQuery")
    assert answered.params["callback_query_id"] == press["callback_query"]["id"]
    assert len(sent_to(api, chat)) > before, relay.log_tail()
    _, turns = tracker(relay, chat, turns=2)
    assert [turn["text"] for turn in turns] == ["cancel order 100205 please", "/return_item"]


def test_a_sticker_gets_the_polite_answer_without_nlu(relay: Relay, api: TelegramApi) -> None:
    sticker = {
        "file_id": "CAACAgIAAxkBAAE",
        "file_unique_id": "AgADBAADpxUAAg",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "type": "regular",
        "emoji": "👋",
    }
    assert post(relay, message_update(user=TOM, sticker=sticker))[0] == 200
    wait_for_text(api, relay, 1002, said("utter_telegram_unsupported"))


def test_a_repeated_update_is_answered_once(relay: Relay, api: TelegramApi) -> None:
    update = message_update("can I pay with paypal", user=ANOTHER)
    before = len(sent_to(api, ANOTHER["id"]))
    assert post(relay, update) == (200, {"status": "ok"})
    assert post(relay, update) == (200, {"status": "duplicate"})
    wait_for_text(api, relay, ANOTHER["id"], "PayPal", after=before)
    _, turns = tracker(relay, ANOTHER["id"], turns=1)
    assert [turn["text"] for turn in turns] == ["can I pay with paypal"]


def test_an_agents_reply_reaches_the_customer_on_telegram(relay: Relay, api: TelegramApi) -> None:
    chat = TOM["id"]
    assert (
        post(relay, message_update("I'd like to talk to a real person please", user=TOM))[0] == 200
    )
    wait_for_text(api, relay, chat, "passed your conversation to our team")
    alice = ConsoleClient(relay).login("alice")
    ticket = alice.ticket_for(f"telegram-{chat}")
    assert ticket["channel"] == "relay_telegram"

    alice.act(ticket["id"], "claim")
    wait_for_text(api, relay, chat, said("utter_agent_joined", agent="Alice Moreau"))
    alice.act(ticket["id"], "reply", {"text": "Hi Tom, Alice here. How can I help?"})
    reply = wait_for_text(api, relay, chat, "Alice here")
    assert reply.text == "Hi Tom, Alice here. How can I help?"
