"""The agent console in headless Chromium, against the real servers (see tests/e2e/browser.py).

An agent signs in, finds the ticket in the live queue, reads the customer's hostile
text as plain text, claims, replies (the customer receives it) and resolves.
A screenshot of the ticket view is saved to results/screenshots/console.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.settings import ROOT
from tests.conftest import FIXED_NOW
from tests.e2e.browser import browser  # noqa: F401 (fixture)
from tests.e2e.console import AGENTS, create_agents, pushed
from tests.e2e.servers import Relay, start

HOSTILE = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script> is this safe?'
SCREENSHOT = ROOT / "results" / "screenshots" / "console.png"


@pytest.fixture(scope="module")
def relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Relay]:
    data_dir = tmp_path_factory.mktemp("relay-console")
    create_agents(data_dir)
    running = start(data_dir, {"RELAY_NOW": FIXED_NOW})
    yield running
    running.stop()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    opened = context.new_page()
    opened.dialogs = []
    opened.on("dialog", lambda dialog: (opened.dialogs.append(dialog.message), dialog.dismiss()))
    yield opened
    context.close()


def sign_in(page: Any, relay: Relay, username: str = "alice") -> None:
    page.goto(f"{relay.url}/console/")
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(AGENTS[username][1])
    page.get_by_test_id("login-submit").click()
    page.get_by_test_id("agent-name").wait_for()


def test_a_wrong_password_is_refused_on_the_page(page: Any, relay: Relay) -> None:
    page.goto(f"{relay.url}/console/")
    page.get_by_test_id("login-username").fill("alice")
    page.get_by_test_id("login-password").fill("not-her-password")
    page.get_by_test_id("login-submit").click()
    page.get_by_test_id("login-error").wait_for()
    assert "Wrong username or password" in page.get_by_test_id("login-error").inner_text()
    assert (
        page.get_by_test_id("queue").count() == 0 or not page.get_by_test_id("queue").is_visible()
    )


def test_an_agent_takes_a_case_from_the_queue_to_resolution(page: Any, relay: Relay) -> None:
    sender = "browser-customer"
    relay.say(sender, "hi, where is my order 100240?")
    relay.say(sender, "this is taking forever, I want to speak to a person")
    relay.say(sender, HOSTILE)

    sign_in(page, relay)
    assert page.get_by_test_id("agent-name").inner_text() == "Alice Moreau"
    item = page.get_by_test_id("queue-item").first
    item.wait_for()
    item.click()
    ticket = page.get_by_test_id("ticket")
    ticket.wait_for()

    # Summary first: the order number the customer gave is there without reading the chat.
    assert "100240" in page.get_by_test_id("ticket-details").inner_text()
    # Hostile text is shown as text: no element injected, no script run, no dialog.
    transcript = page.get_by_test_id("transcript")
    transcript.get_by_text("is this safe?").wait_for()
    assert HOSTILE in transcript.inner_text()
    assert transcript.locator("img").count() == 0
    assert page.evaluate("window.__xss") is None
    assert page.dialogs == []
    assert page.get_by_test_id("mood-chart").count() == 1

    page.get_by_test_id("claim").click()
    page.get_by_test_id("ticket-status").get_by_text("assigned").wait_for()
    page.get_by_test_id("reply-text").fill("Hi, Alice here. I can see order 100240, one moment.")
    page.get_by_test_id("reply-send").click()
    transcript.get_by_text("Alice here").wait_for()
    assert (
        pushed(relay, sender)[-1]["text"] == "Hi, Alice here. I can see order 100240, one moment."
    )

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=False)

    page.get_by_test_id("resolve").click()
    page.get_by_test_id("ticket-status").get_by_text("resolved").wait_for()
    assert page.dialogs == []


def test_the_console_has_no_content_security_violations(page: Any, relay: Relay) -> None:
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    sign_in(page, relay)
    page.wait_for_timeout(500)
    assert [e for e in errors if "Content Security Policy" in e] == []
