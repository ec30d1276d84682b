"""bot/ops/logs.py: every log line names its conversation and carries no secret."""

from __future__ import annotations

import json
import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.ops import logs

TOKEN = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Lines as Relay's text format prints them, from a logger of this test."""
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("RELAY_REST_TOKEN", "rest-token-of-the-backend")
    monkeypatch.setenv("RELAY_SHOP_DB_URL", "postgresql://relay:db-pass-word@db:5432/shop")
    monkeypatch.delenv("RELAY_LOG_FORMAT", raising=False)
    logs.install()
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Keep()
    handler.setFormatter(logs.formatter("text"))
    logger = logging.getLogger("relay.test.logs")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield lines
    logger.removeHandler(handler)


@pytest.mark.parametrize(
    "line",
    [
        f'HTTP Request: POST https://api.telegram.org/bot{TOKEN}/sendMessage "HTTP/1.1 200 OK"',
        f"token {TOKEN} given",
        "GET /webhooks/widget/history?token=Abc123.SiGnAtUrE&after=3",
        "Authorization: Bearer rest-token-of-the-backend",
        "engine postgresql://relay:db-pass-word@db:5432/shop",
    ],
)
def test_secrets_are_redacted(captured: list[str], line: str) -> None:
    logging.getLogger("relay.test.logs").info(line)
    [printed] = captured
    assert "[redacted]" in printed
    for secret in (TOKEN, "Abc123.SiGnAtUrE", "rest-token-of-the-backend", "db-pass-word"):
        assert secret not in printed


def test_format_arguments_and_tracebacks_are_redacted_too(captured: list[str]) -> None:
    logger = logging.getLogger("relay.test.logs")
    logger.warning("calling %s", f"/bot{TOKEN}/getMe")
    try:
        raise RuntimeError(f"could not reach https://api.telegram.org/bot{TOKEN}/getMe")
    except RuntimeError:
        logger.exception("telegram failed")
    assert len(captured) == 2 and all(TOKEN not in line for line in captured)
    assert "RuntimeError" in captured[1]


def test_a_secret_read_from_a_file_is_kept_out(captured: list[str]) -> None:
    logs.keep_secret(b"generated-key-from-var")
    logging.getLogger("relay.test.logs").info("the key is generated-key-from-var")
    assert len(captured) == 1 and "generated-key-from-var" not in captured[0]


def test_ordinary_text_is_left_alone(captured: list[str]) -> None:
    logs.keep_secret("ab")  # too short to be a secret: would redact ordinary words
    text = "order 100231 for Maya, about her refund of £40.00"
    logging.getLogger("relay.test.logs").info(text)
    assert captured[0].endswith(text)


def test_each_line_names_its_conversation(captured: list[str]) -> None:
    logger = logging.getLogger("relay.test.logs")
    logger.info("outside")
    with logs.about("telegram-1001"):
        logger.info("inside")
    assert "[-] relay.test.logs - outside" in captured[0]
    assert "[telegram-1001] relay.test.logs - inside" in captured[1]


def test_json_lines_for_a_log_shipper(captured: list[str]) -> None:
    record = logging.getLogger("relay.test.logs").makeRecord(
        "relay.test.logs", logging.ERROR, __file__, 1, f"boom bot{TOKEN}", None, None
    )
    line = json.loads(logs.formatter("json").format(record))
    assert line["level"] == "ERROR" and line["conversation"] == "-"
    assert TOKEN not in line["message"]


@given(st.text(min_size=1, max_size=80))
def test_a_known_secret_never_survives_whatever_surrounds_it(noise: str) -> None:
    secret = "s3cr3t-value-that-is-long"
    logs.keep_secret(secret)
    assert secret not in logs.redact(noise + secret + noise)


def test_a_redis_password_is_a_secret_with_or_without_a_user_name() -> None:
    environ = {
        "RELAY_REDIS_URL": "redis://:redis-pass-1234@10.0.0.5:6379/0",
        "RELAY_SHOP_DB_URL": "postgresql://relay:pg-pass-5678@db:5432/relay",
    }
    assert set(logs.secrets_from(environ)) == {"redis-pass-1234", "pg-pass-5678"}
    redacted = logs.redact("connecting to redis://:another-pass@cache:6379/0")
    assert "another-pass" not in redacted and "cache:6379" in redacted
