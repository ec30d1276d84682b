"""The website chat widget in headless Chromium, against the real servers (tests/e2e/browser.py).

A customer on the Northpeak demo page opens the widget, tracks an order, presses a button,
reloads (the conversation comes back), asks for a person and closes the panel; an agent
claims and replies through the console API (the launcher counts the unread messages), then
resolves, and the customer rates the help with the stars. Another site listed in
`allowed_origins` embeds the widget; a site that is not listed cannot use it. Messages
typed quickly are sent one at a time, in order, each answer under its message.

The Rasa server runs with this test's own credentials file (ROOT/credentials.yml may not
list the widget). Screenshots: docs/widget_desktop.png and docs/widget_phone.png.
"""

from __future__ import annotations

import functools
import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from bot.channels.widget import ASSETS, CUSTOMER_EXPIRED, PAGE_HEADERS, STATIC, demo_page
from bot.settings import ROOT
from tests.conftest import FIXED_NOW
from tests.e2e.browser import browser  # noqa: F401 (fixture)
from tests.e2e.console import ConsoleClient, create_agents
from tests.e2e.servers import Relay, free_port, http, start, turns

DESKTOP = ROOT / "docs" / "widget_desktop.png"
PHONE = ROOT / "docs" / "widget_phone.png"
CREDENTIALS = """\
bot.channels.rest.RelayRestInput:
bot.console.api.ConsoleChannel:
bot.channels.widget.WidgetInput:
  allowed_origins: {origin}
"""
SHOP_PAGE = """\
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,">
<title>Elsewhere Supplies</title></head>
<body><h1>Elsewhere Supplies</h1>
<script src="{relay}/webhooks/widget/widget.js" data-title="Elsewhere help" defer></script>
</body></html>
"""
REPLY = (
    "Hi, I'm Alice. Order 100231 is with Royal Mail: "
    "https://www.royalmail.com/track-your-item has live tracking."
)
# A 1x1 transparent PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)
SIGNED_IN_PAGE = """\
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,">
<title>Signed in</title></head>
<body><h1>Hello, Maya</h1>
<script src="/webhooks/widget/widget.js" data-customer="web-maya"
        data-customer-expires="1800003600" data-customer-signature="{signature}" defer></script>
</body></html>
"""
# Three questions a customer types one after another, each answered in one turn.
QUICK = [
    "what time do your stores open on saturday?",
    "how long does shipping take?",
    "which payment methods do you accept?",
]
# The log as the customer sees it: each child's kind and the text of its bubbles.
LOG_ROWS = """() => Array.from(
    document.getElementById("relay-widget").shadowRoot.querySelector(".log").children
).map(node => [
    node.className,
    Array.from(node.matches(".msg") ? [node] : node.querySelectorAll(".msg"), m => m.textContent),
])"""
HOSTILE = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script> hello?'


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@dataclass
class Shop:
    """Another website, on its own origin, that embeds the widget."""

    port: int
    folder: Path

    def url(self, host: str) -> str:
        return f"http://{host}:{self.port}/shop.html"


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    folder = tmp_path_factory.mktemp("shop-site")
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Shop(port=server.server_address[1], folder=folder)
    server.shutdown()


@pytest.fixture(scope="module")
def relay(tmp_path_factory: pytest.TempPathFactory, shop: Shop) -> Iterator[Relay]:
    data_dir = tmp_path_factory.mktemp("relay-widget")
    create_agents(data_dir)
    credentials = data_dir / "credentials.yml"
    # Only http://localhost:<port> is allowed: the same page from 127.0.0.1 is another origin.
    credentials.write_text(CREDENTIALS.format(origin=f"http://localhost:{shop.port}"))
    running = start(data_dir, {"RELAY_NOW": FIXED_NOW}, credentials=credentials)
    (shop.folder / "shop.html").write_text(SHOP_PAGE.format(relay=running.url))
    yield running
    running.stop()


def watched(page: Any) -> list[str]:
    """Script errors, console errors and CSP violations on the page."""
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    page.on("dialog", lambda dialog: (problems.append(dialog.message), dialog.dismiss()))
    return problems


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def send(page: Any, text: str) -> None:
    box = page.get_by_label("Your message")
    box.fill(text)
    box.press("Enter")


def customer_texts(page: Any) -> list[str]:
    return [text.strip() for text in page.locator(".msg-customer").all_inner_texts()]


def shown_turns(page: Any) -> list[tuple[str, list[str]]]:
    """The log from the customer's first message on: each of their messages with the bot's
    words shown under it (before their next one)."""
    shown: list[tuple[str, list[str]]] = []
    for kind, texts in page.evaluate(LOG_ROWS):
        if "msg-customer" in kind:
            shown.append((texts[0], []))
        elif "turn-bot" in kind and shown:
            shown[-1][1].extend(texts)
    return shown


def wait_until(page: Any, check: Any, seconds: float = 10.0) -> None:
    """Lets the page run (and Playwright call the test's routes) until `check()` holds."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"still not true after {seconds} s"
        page.wait_for_timeout(50)


def conversation_of(page: Any) -> str:
    """The Rasa conversation of the widget's session, from the token it keeps."""
    token = page.evaluate(
        "JSON.parse(localStorage.getItem('relay-widget:' + location.origin)).token"
    )
    return "widget-" + token.split(".")[0]


def _canned(route: Any, message: Any) -> None:
    """A widget backend without Rasa: the demo page, the assets, a new session and no
    updates; each POST /message is handed to `message` (a route the test answers)."""
    name = urlsplit(route.request.url).path.rsplit("/", 1)[-1]
    if name == "demo":
        page_text = (STATIC / "demo.html").read_text(encoding="utf-8")
        route.fulfill(body=page_text, content_type="text/html", headers=PAGE_HEADERS)
    elif name in ASSETS:
        route.fulfill(body=(STATIC / name).read_bytes(), content_type=ASSETS[name])
    elif name == "session":
        route.fulfill(json={"token": "t.x", "resumed": False, "state": "bot", "agent": None})
    elif name == "updates":
        route.fulfill(json={"messages": [], "after": 0, "state": "bot", "agent": None})
    elif name == "message":
        message(route)
    else:
        route.fulfill(status=404)


def test_a_customer_is_helped_by_the_bot_then_an_agent_and_rates_the_help(
    browser: Any,  # noqa: F811
    relay: Relay,
) -> None:
    desktop = browser.new_context(viewport={"width": 1280, "height": 800}, reduced_motion="reduce")
    page = desktop.new_page()
    problems = watched(page)
    page.goto(f"{relay.url}/webhooks/widget/demo")
    launcher = page.get_by_role("button", name=re.compile("^Open chat"))
    panel = page.get_by_role("dialog", name="Northpeak help")
    log = page.get_by_role("log", name="Conversation")

    launcher.click()
    expect(panel).to_be_visible()
    expect(page.get_by_label("Your message")).to_be_focused()
    log.get_by_text("I'm Relay, Northpeak's assistant").wait_for()  # the configured greeting

    send(page, "where is my order 100231?")
    log.get_by_text("100231 is on its way").wait_for()  # a visitor hears the status only
    send(page, "maya.patel@example.com")
    log.get_by_text("RM123456785GB").wait_for()  # the order's email brings the details
    send(page, "can I cancel it?")
    log.get_by_role("button", name="Start a return").click()
    log.get_by_text("hasn't been delivered yet").wait_for()
    expect(log.get_by_role("button", name="Talk to our team")).to_be_disabled()

    # A reload brings the conversation back, a pressed button shown by its title.
    page.reload()
    launcher.click()
    log.get_by_text("hasn't been delivered yet").wait_for()
    assert customer_texts(page) == [
        "where is my order 100231?",
        "maya.patel@example.com",
        "can I cancel it?",
        "Start a return",
    ]
    expect(log.get_by_role("button", name="Cancel the order")).to_be_enabled()

    send(page, "I want to talk to a person")
    log.get_by_text("passed your conversation to our team").wait_for()
    expect(page.get_by_text("Waiting for a person from our team…")).to_be_visible()
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(launcher).to_be_focused()

    sender = conversation_of(page)
    alice = ConsoleClient(relay).login("alice")
    ticket = alice.ticket_for(sender)
    assert (ticket["channel"], ticket["status"]) == ("widget", "waiting")
    assert "100231" in str(ticket["context"]["details"])  # the agent sees what was said
    alice.act(ticket["id"], "claim")
    alice.act(ticket["id"], "reply", {"text": REPLY})

    # While the panel is closed, the launcher counts what arrived.
    expect(launcher).to_have_accessible_name("Open chat, 2 unread messages", timeout=15_000)
    expect(page.locator(".badge")).to_have_text("2")
    launcher.click()
    expect(page.locator(".badge")).to_be_hidden()
    log.get_by_text("An agent has joined the chat").wait_for()
    log.get_by_text("Alice Moreau from our team has joined the chat").wait_for()
    expect(page.locator(".msg-agent")).to_have_text(REPLY)
    expect(page.locator(".turn-agent .who")).to_have_text("Alice Moreau")
    expect(page.locator(".status")).to_have_text("You're chatting with Alice Moreau")
    link = log.get_by_role("link", name="https://www.royalmail.com/track-your-item")
    assert link.get_attribute("href") == "https://www.royalmail.com/track-your-item"
    assert (link.get_attribute("target"), link.get_attribute("rel")) == (
        "_blank",
        "noopener noreferrer",
    )
    DESKTOP.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DESKTOP))

    # The agent resolves: the bot is back and asks for a rating, shown as five stars.
    alice.act(ticket["id"], "resolve")
    log.get_by_text("You're talking to the bot again").wait_for(timeout=15_000)
    rating = log.get_by_role("group", name=re.compile("^Rate the help you got"))
    rating.wait_for(timeout=15_000)
    assert [b.get_attribute("aria-label") for b in rating.get_by_role("button").all()] == [
        "1 star (poor)",
        "2 stars",
        "3 stars",
        "4 stars",
        "5 stars (excellent)",
    ]
    rating.get_by_role("button", name="5 stars (excellent)").click()
    log.get_by_text("Anything you'd like to tell us?").wait_for()
    assert customer_texts(page)[-1] == "★★★★★  5 of 5"
    expect(rating.get_by_role("button", name="1 star (poor)")).to_be_disabled()
    log.get_by_role("button", name="No thanks").click()
    log.get_by_text("Thanks for rating us").wait_for()
    assert alice.ok("GET", f"/tickets/{ticket['id']}")["ticket"]["csat"]["score"] == 5

    # The same conversation on a phone: full-screen panel, whole history with the agent's words.
    phone = browser.new_context(
        viewport={"width": 375, "height": 740},
        storage_state=desktop.storage_state(),
        is_mobile=True,
        has_touch=True,
        reduced_motion="reduce",  # no opening animation: measure the panel at rest
    )
    mobile = phone.new_page()
    problems += watched(mobile)
    mobile.goto(f"{relay.url}/webhooks/widget/demo")
    mobile.get_by_role("button", name=re.compile("^Open chat")).click()
    mobile.get_by_role("log").get_by_text("Thanks for rating us").wait_for()
    expect(mobile.locator(".msg-agent")).to_have_text(REPLY)
    assert "★★★★★  5 of 5" in customer_texts(mobile)
    expect(mobile.locator(".star.lit")).to_have_count(5)  # the rating given, restored
    expect(mobile.locator(".choice.chosen")).to_have_text(["Start a return", "No thanks"])
    box = mobile.get_by_role("dialog").bounding_box()
    assert box == {"x": 0, "y": 0, "width": 375, "height": 740}
    mobile.screenshot(path=str(PHONE))

    assert problems == []
    phone.close()
    desktop.close()


def test_quick_messages_are_sent_one_at_a_time_in_order_each_answered_under_it(
    browser: Any,  # noqa: F811
    relay: Relay,
) -> None:
    """The first message is slow to reach Relay (a busy replica, a slow network): the two
    typed after it wait in the browser, so Relay stores them after it, as sent."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    problems = watched(page)
    url = f"{relay.url}/webhooks/widget/message"
    network: list[tuple[str, str]] = []  # the browser's own log of POST /message

    def log(what: str, request: Any) -> None:
        if request.url == url:
            network.append((what, json.loads(request.post_data or "{}").get("text", "")))

    page.on("request", lambda request: log("sent", request))
    page.on("requestfinished", lambda request: log("answered", request))
    held: list[Any] = []

    def slow_first(route: Any) -> None:
        if held:
            route.continue_()
        else:
            held.append(route)

    page.route(url, slow_first)
    page.goto(f"{relay.url}/webhooks/widget/demo")
    page.get_by_role("button", name="Open chat").click()
    for text in QUICK:
        send(page, text)
    assert customer_texts(page) == QUICK  # each shown at once as the customer's
    expect(page.locator(".typing")).to_be_visible()
    page.wait_for_timeout(2000)  # time enough for a message sent now to be answered
    assert network == [("sent", QUICK[0])]
    held[0].continue_()
    expect(page.locator(".typing")).to_have_count(0, timeout=60_000)

    assert network == [(what, text) for text in QUICK for what in ("sent", "answered")]
    stored = turns(relay.url, conversation_of(page))
    assert [text for text, _ in stored] == QUICK
    assert all(answers for _, answers in stored), stored
    assert shown_turns(page) == stored  # each answer under its own message
    assert problems == []
    context.close()


def test_a_failed_message_does_not_hold_up_the_next_and_buttons_wait_their_turn(
    browser: Any,  # noqa: F811
) -> None:
    """The script alone, against canned answers (no Rasa): the test answers each POST
    /message by hand, so it sees that the next one starts only after it answered."""
    posts: list[Any] = []  # POST /message, in the order the widget sent them, unanswered

    def relay_test(route: Any) -> None:
        _canned(route, posts.append)

    def answer(number: int, *texts: str, buttons: list[dict[str, str]] | None = None) -> None:
        wait_until(page, lambda: len(posts) > number)
        page.wait_for_timeout(300)
        assert len(posts) == number + 1, "the next message waits for this answer"
        messages = [{"from": "bot", "text": text} for text in texts]
        if buttons:
            messages[-1]["buttons"] = buttons  # type: ignore[assignment]
        posts[number].fulfill(json={"messages": messages, "state": "bot", "agent": None})

    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    problems = watched(page)
    page.route("http://relay.test/**", relay_test)
    page.goto("http://relay.test/webhooks/widget/demo")
    page.get_by_role("button", name="Open chat").click()
    send(page, "one")
    send(page, "two")
    wait_until(page, lambda: len(posts) == 1)
    page.wait_for_timeout(300)
    assert len(posts) == 1
    posts[0].fulfill(status=500, json={"error": "boom"})
    answer(1, "Shall I?", buttons=[{"title": "Yes", "payload": "/affirm"}])
    page.get_by_role("button", name="Yes").click()
    send(page, "three")
    expect(page.locator(".typing")).to_be_visible()
    answer(2, "Done.", buttons=[{"title": "Undo", "payload": "/deny"}])
    answer(3, "Anything else?")
    expect(page.locator(".typing")).to_have_count(0)
    # The customer wrote past "Done." before it came: its button is retired, as shown ones are.
    expect(page.get_by_role("button", name="Undo")).to_be_disabled()
    expect(page.get_by_role("button", name="Yes")).to_be_disabled()

    sent = [json.loads(post.request.post_data) for post in posts]
    assert [body.get("text") or body.get("payload") for body in sent] == [
        "one",
        "two",
        "/affirm",
        "three",
    ]
    assert shown_turns(page) == [
        ("one", ["Sorry, I can't reach the assistant right now. Please try again in a moment."]),
        ("two", ["Shall I?"]),
        ("Yes", ["Done."]),
        ("three", ["Anything else?"]),
    ]
    # Chromium reports the failed POST itself; nothing else went wrong.
    assert [problem for problem in problems if "status of 500" not in problem] == []
    context.close()


def test_what_customers_type_is_shown_as_text(browser: Any, relay: Relay) -> None:  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    problems = watched(page)
    page.goto(f"{relay.url}/webhooks/widget/demo")
    page.get_by_role("button", name="Open chat").click()
    send(page, HOSTILE)
    page.locator(".msg-bot").nth(1).wait_for()  # the bot answered (after the greeting)
    assert customer_texts(page) == [HOSTILE]
    assert page.locator("#relay-widget img").count() == 0
    assert page.evaluate("window.__xss") is None
    assert problems == []
    context.close()


def test_a_site_listed_in_allowed_origins_embeds_the_widget(
    browser: Any,  # noqa: F811
    relay: Relay,
    shop: Shop,
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    problems = watched(page)
    page.goto(shop.url("localhost"))
    page.get_by_role("button", name="Open chat").click()
    expect(page.get_by_role("dialog", name="Elsewhere help")).to_be_visible()  # data-title
    send(page, "where is my order 100231?")
    page.get_by_role("log").get_by_text("100231 is on its way").wait_for()
    assert problems == []
    context.close()


def test_a_site_not_listed_cannot_use_the_chat(
    browser: Any,  # noqa: F811
    relay: Relay,
    shop: Shop,
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(shop.url("127.0.0.1"))
    page.get_by_role("button", name="Open chat").click()
    send(page, "where is my order 100231?")
    page.get_by_text("I can't reach the assistant right now").wait_for()
    context.close()

    refused = http(
        "POST",
        f"{relay.url}/webhooks/widget/session",
        {},
        headers={"Origin": f"http://127.0.0.1:{shop.port}"},
    )
    assert refused == (403, {"error": "This site may not use the chat"})


def test_what_the_bot_sends_is_rendered_safely(browser: Any) -> None:  # noqa: F811
    """The script alone, against canned answers (no Rasa): text stays text, only http(s)
    links and images, five numbered buttons are stars only for the rating question."""
    crafted = [
        {
            "from": "bot",
            "text": "<b>not bold</b> see https://example.com/help?q=1). javascript:x()",
        },
        {"from": "bot", "image": "javascript:window.__xss=3"},
        {"from": "bot", "image": "https://images.example/boot.png"},
        {
            "from": "bot",
            "text": "Pick a size",
            "buttons": [{"title": str(n), "payload": f'/size{{"n": {n}}}'} for n in range(1, 6)],
        },
        {"from": "agent", "agent": "<i>Eve</i>", "text": "<script>window.__xss=4</script>"},
    ]
    held: list[Any] = []

    def relay_test(route: Any) -> None:
        _canned(route, held.append)  # messages answered below, once the typing indicator was seen

    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    problems = watched(page)
    page.route("http://relay.test/**", relay_test)
    page.route("https://images.example/**", lambda route: route.fulfill(body=PNG))
    page.goto("http://relay.test/webhooks/widget/demo")
    page.get_by_role("button", name="Open chat").click()
    send(page, "hi")
    expect(page.locator(".typing")).to_be_visible()
    assert len(held) == 1
    held[0].fulfill(json={"messages": crafted, "state": "bot", "agent": None})
    expect(page.locator(".typing")).to_have_count(0)

    expect(page.locator(".msg-bot").nth(1)).to_have_text(crafted[0]["text"])
    links = page.locator(".msg .link")
    expect(links).to_have_count(1)
    assert links.get_attribute("href") == "https://example.com/help?q=1"
    images = page.locator("#relay-widget img")
    expect(images).to_have_count(1)
    assert images.get_attribute("src") == "https://images.example/boot.png"
    assert images.get_attribute("alt")
    expect(page.locator(".choice")).to_have_count(5)
    expect(page.locator(".star")).to_have_count(0)
    expect(page.locator(".who")).to_have_text("<i>Eve</i>")
    expect(page.locator(".msg-agent")).to_have_text("<script>window.__xss=4</script>")
    assert page.evaluate("window.__xss") is None
    assert problems == []
    context.close()


@pytest.mark.parametrize("configured", ["config block", "data- attributes"])
def test_the_widget_passes_the_shops_signed_customer_to_relay(
    browser: Any,  # noqa: F811
    configured: str,
) -> None:
    """The script alone, against canned answers (no Rasa): the customer, the expiry and the
    signature the shop's page gives it reach POST /session as they are; when Relay refuses
    them (an expired signature, say) the widget chats anonymously and says why."""
    signature = "ab" * 32
    sessions: list[dict[str, Any]] = []

    def relay_test(route: Any) -> None:
        name = urlsplit(route.request.url).path.rsplit("/", 1)[-1]
        if name == "demo":
            page = (STATIC / "demo.html").read_text(encoding="utf-8")
            if configured == "config block":
                page = demo_page(page, "web-maya", "1800003600", signature)
            else:
                page = SIGNED_IN_PAGE.format(signature=signature)
            route.fulfill(body=page, content_type="text/html", headers=PAGE_HEADERS)
        elif name in ASSETS:
            route.fulfill(body=(STATIC / name).read_bytes(), content_type=ASSETS[name])
        elif name == "session":
            sessions.append(json.loads(route.request.post_data or "{}"))
            if len(sessions) == 1:
                route.fulfill(status=403, json={"error": CUSTOMER_EXPIRED})
            else:
                route.fulfill(
                    json={"token": "t.x", "resumed": False, "state": "bot", "agent": None}
                )
        elif name == "updates":
            route.fulfill(json={"messages": [], "after": 0, "state": "bot", "agent": None})
        else:
            route.fulfill(status=404)

    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    problems = watched(page)
    warnings: list[str] = []
    page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
    page.route("http://relay.test/**", relay_test)
    page.goto("http://relay.test/webhooks/widget/demo")
    page.get_by_role("button", name="Open chat").click()
    expect(page.get_by_label("Your message")).to_be_visible()
    page.wait_for_function("() => localStorage.length > 0")
    assert sessions == [
        {
            "customer": "web-maya",
            "customerExpires": "1800003600",
            "customerSignature": signature,
        },
        {},
    ]
    assert any(CUSTOMER_EXPIRED in warning for warning in warnings), warnings
    # Chromium reports the refused POST /session itself; nothing else went wrong.
    assert [problem for problem in problems if "status of 403" not in problem] == []
    context.close()
