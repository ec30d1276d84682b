"""The browser chat page channel (served end to end in tests/e2e)."""

from __future__ import annotations

from bot.channels.chat_page import PAGE, ChatPageInput


def test_channel_is_mounted_under_webhooks_chat() -> None:
    assert ChatPageInput.name() == "chat"
    assert isinstance(ChatPageInput.from_credentials(None), ChatPageInput)


def test_blueprint_serves_the_page_and_a_health_check() -> None:
    blueprint = ChatPageInput().blueprint(on_new_message=None)  # type: ignore[arg-type]
    uris = {route.uri for route in blueprint._future_routes}
    assert uris == {"/", "/health"}


def test_page_never_renders_bot_or_customer_text_as_html() -> None:
    page = PAGE.read_text(encoding="utf-8")
    assert "innerHTML" not in page and "insertAdjacentHTML" not in page
    assert "textContent" in page
    assert "/webhooks/rest/webhook" in page
