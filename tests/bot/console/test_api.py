"""bot/console/api.py: the console's routes, their documentation and how tickets are shown.

The routes themselves run against the real Rasa server in tests/e2e/test_handoff.py.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from sanic import Sanic

from bot.console import access, api, responses
from bot.handoff.agents import add_agent
from bot.services import Services, of_app
from tests.support.asgi import serving
from tests.support.http1 import status_of
from tests.support.rasa import StandInAgent
from tests.support.slow import BLOCK, STALL, Slow, alongside
from tests.support.tickets import open_ticket as opened

SPEC = yaml.safe_load(api.SPEC.read_text(encoding="utf-8"))


def _routes() -> set[tuple[str, str]]:
    """(method, path under /api/v1) of every API route the blueprint registers."""
    app = Sanic("relay_console_routes_test")
    app.blueprint(api.ConsoleChannel().blueprint(lambda message: None), url_prefix="/console")
    found = set()
    for route in app.router.routes:
        path = "/" + route.path
        if not path.startswith("/console/api/v1/"):
            continue
        documented = re.sub(
            r"<(\w+)(?::\w+)?>",
            lambda match: "{id}" if match[1] == "ticket_id" else "{" + match[1] + "}",
            path.removeprefix("/console/api/v1"),
        )
        for method in route.methods:
            found.add((method.lower(), documented))
    return found


def test_every_api_route_is_documented_and_nothing_else() -> None:
    documented = {
        (method, path) for path, operations in SPEC["paths"].items() for method in operations
    }
    assert _routes() == documented


def test_the_spec_is_openapi_3_with_bearer_auth() -> None:
    assert SPEC["openapi"].startswith("3.")
    assert SPEC["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert SPEC["paths"]["/login"]["post"]["security"] == []


def test_the_console_page_and_assets_exist() -> None:
    assert (api.STATIC / "index.html").exists()
    for name in api.ASSETS:
        assert (api.STATIC / name).exists(), name


# --- The routes, in-process (the real Rasa server runs them in tests/e2e/test_handoff.py) ---

ADMIN_PASSWORD = "the-admins-password"


@pytest.fixture
def console(agents_file: Path, monkeypatch: pytest.MonkeyPatch) -> Sanic:
    add_agent(agents_file, "bob", "Bob Okafor", "bobs-long-password")
    add_agent(agents_file, "root", "Rita Admin", ADMIN_PASSWORD, role="admin")
    monkeypatch.setenv("RELAY_SHOP_DB_URL", f"sqlite:///{agents_file.parent / 'tickets.db'}")
    monkeypatch.delenv("RELAY_SECURE_COOKIES", raising=False)
    monkeypatch.setattr(Sanic, "test_mode", True)
    app = Sanic("relay_console_test")
    app.ctx.services = Services.from_settings()
    app.blueprint(api.ConsoleChannel().blueprint(lambda message: None), url_prefix="/console")
    app.ctx.agent = StandInAgent()
    return app


PASSWORDS = {"alice": "a-long-password", "bob": "bobs-long-password", "root": ADMIN_PASSWORD}


def calls(app: Sanic, *steps: tuple[str, str, dict[str, Any] | None, str | None]) -> list[Any]:
    """Runs (method, path, body, username to act as) in one client; returns the responses."""

    async def go() -> list[Any]:
        async with serving(app) as client:
            tokens: dict[str, str] = {}
            answers = []
            for method, path, body, who in steps:
                headers = {}
                if who is not None:
                    if who not in tokens:
                        signed = await client.post(
                            "/console/api/v1/login",
                            json={"username": who, "password": PASSWORDS[who]},
                        )
                        assert signed.status_code == 200, signed.text
                        tokens[who] = signed.json()["token"]
                    headers["Authorization"] = f"Bearer {tokens[who]}"
                answers.append(
                    await client.request(
                        method, "/console/api/v1" + path, json=body, headers=headers
                    )
                )
            return answers

    return asyncio.run(go())


def open_ticket(app: Sanic, conversation: str = "rest-web-1") -> int:
    return int(opened(of_app(app).tickets, conversation)["id"])


def test_signing_in_sets_an_http_only_strict_cookie_and_a_device_cookie(console: Sanic) -> None:
    [answer] = calls(
        console, ("POST", "/login", {"username": "alice", "password": PASSWORDS["alice"]}, None)
    )
    assert answer.status_code == 200 and answer.json()["agent"]["role"] == "agent"
    cookies = answer.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith(f"{access.COOKIE}="))
    device = next(c for c in cookies if c.startswith(f"{access.DEVICE_COOKIE}="))
    for cookie in (session, device):
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie
    assert "Path=/console/api/v1/login" in device


def test_cookies_are_secure_behind_a_tls_proxy(
    console: Sanic, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RELAY_SECURE_COOKIES", "1")
    console.ctx.services = Services.from_settings()
    [answer] = calls(
        console, ("POST", "/login", {"username": "alice", "password": PASSWORDS["alice"]}, None)
    )
    assert all("Secure" in cookie for cookie in answer.headers.get_list("set-cookie"))


def test_signing_out_ends_the_session(console: Sanic) -> None:
    me, out, after = calls(
        console,
        ("GET", "/me", None, "alice"),
        ("POST", "/logout", {}, "alice"),
        ("GET", "/me", None, "alice"),
    )
    assert me.status_code == 200 and out.status_code == 200
    assert after.status_code == 401


def test_a_password_reset_by_an_admin_ends_the_agents_sessions(console: Sanic) -> None:
    before, reset, after = calls(
        console,
        ("GET", "/me", None, "bob"),
        (
            "POST",
            "/agents",
            {"username": "bob", "name": "Bob Okafor", "password": "new-password-1"},
            "root",
        ),
        ("GET", "/me", None, "bob"),
    )
    assert before.status_code == 200
    assert reset.status_code == 200 and reset.json()["sessions_ended"] >= 1
    assert after.status_code == 401


def test_only_admins_manage_agents(console: Sanic) -> None:
    add, remove, listed = calls(
        console,
        ("POST", "/agents", {"username": "eve", "password": "eves-password-1"}, "alice"),
        ("DELETE", "/agents/bob", None, "alice"),
        ("GET", "/agents", None, "alice"),
    )
    assert add.status_code == remove.status_code == 403
    assert {a["username"]: a["role"] for a in listed.json()["agents"]} == {
        "alice": "agent",
        "bob": "agent",
        "root": "admin",
    }
    created, removed, gone = calls(
        console,
        (
            "POST",
            "/agents",
            {"username": "eve", "password": "eves-password-1", "role": "agent"},
            "root",
        ),
        ("DELETE", "/agents/bob", None, "root"),
        ("DELETE", "/agents/root", None, "root"),
    )
    assert created.status_code == 200 and created.json()["agent"]["username"] == "eve"
    assert removed.status_code == 200
    assert gone.status_code == 400  # not yourself


def test_a_colleagues_ticket_is_neither_taken_nor_read(console: Sanic) -> None:
    ticket = open_ticket(console)
    mine, taken, read, admin_read, takeover = calls(
        console,
        ("POST", f"/tickets/{ticket}/claim", {}, "alice"),
        ("POST", f"/tickets/{ticket}/claim", {}, "bob"),
        ("GET", f"/tickets/{ticket}", None, "bob"),
        ("GET", f"/tickets/{ticket}", None, "root"),
        ("POST", f"/tickets/{ticket}/claim", {}, "root"),
    )
    assert mine.status_code == 200
    assert taken.status_code == 409 and "transfer" in taken.json()["error"]
    assert read.status_code == 403
    assert admin_read.status_code == 200
    assert (
        takeover.status_code == 200 and takeover.json()["ticket"]["assignee"]["username"] == "root"
    )


def test_two_agents_claiming_at_once_one_gets_409(console: Sanic) -> None:
    ticket = open_ticket(console)

    async def race() -> list[int]:
        async with serving(console) as client:
            tokens = []
            for who in ("alice", "bob"):
                signed = await client.post(
                    "/console/api/v1/login", json={"username": who, "password": PASSWORDS[who]}
                )
                tokens.append(signed.json()["token"])
            answers = await asyncio.gather(
                *(
                    client.post(
                        f"/console/api/v1/tickets/{ticket}/claim",
                        json={},
                        headers={"Authorization": f"Bearer {token}"},
                    )
                    for token in tokens
                )
            )
            return sorted(answer.status_code for answer in answers)

    assert asyncio.run(race()) == [200, 409]


def sign_in(
    app: Sanic, address: str, username: str, password: str, cookies: dict[str, str] | None = None
) -> Any:
    async def go() -> Any:
        async with serving(app, client=(address, 40000)) as client:
            return await client.post(
                "/console/api/v1/login",
                json={"username": username, "password": password},
                cookies=cookies or {},
            )

    return asyncio.run(go())


def test_guessing_one_agents_password_from_one_address_is_braked(console: Sanic) -> None:
    statuses = [sign_in(console, "192.0.2.10", "alice", f"guess-{n}").status_code for n in range(5)]
    assert statuses == [401] * 5
    assert sign_in(console, "192.0.2.10", "alice", PASSWORDS["alice"]).status_code == 429
    assert sign_in(console, "192.0.2.11", "alice", PASSWORDS["alice"]).status_code == 200


def test_a_botnet_cannot_keep_the_admin_out_of_their_own_browser(console: Sanic) -> None:
    mine = sign_in(console, "198.51.100.7", "root", ADMIN_PASSWORD)
    assert mine.status_code == 200
    device = mine.cookies.get(access.DEVICE_COOKIE)
    for number in range(50):  # one guess from each of 50 addresses
        assert sign_in(console, f"203.0.113.{number}", "root", "guess").status_code == 401
    assert sign_in(console, "192.0.2.55", "root", ADMIN_PASSWORD).status_code == 429
    again = sign_in(console, "198.51.100.7", "root", ADMIN_PASSWORD, {access.DEVICE_COOKIE: device})
    assert again.status_code == 200


class BlockedTelegram:
    """The Telegram channel, for a customer who has blocked the bot."""

    def name(self) -> str:
        return "relay_telegram"

    def get_output_channel(self) -> Any:
        from rasa.core.channels.channel import CollectingOutputChannel

        output = CollectingOutputChannel()
        output.undelivered = ["the customer has blocked the bot on Telegram"]  # type: ignore[attr-defined]
        return output


def test_a_reply_that_did_not_reach_the_customer_says_why(console: Sanic) -> None:
    console.ctx.input_channels = [BlockedTelegram()]
    ticket = open_ticket(console, "telegram-1001")
    claim, reply, view = calls(
        console,
        ("POST", f"/tickets/{ticket}/claim", {}, "alice"),
        ("POST", f"/tickets/{ticket}/reply", {"text": "Hi Maya, Alice here."}, "alice"),
        ("GET", f"/tickets/{ticket}", None, "alice"),
    )
    assert claim.status_code == 200
    assert reply.status_code == 502
    assert "blocked the bot" in reply.json()["error"]
    history = view.json()["ticket"]["history"]
    assert history[-1]["event"] == "not_delivered" and "blocked" in history[-1]["detail"]


def test_a_database_that_fails_gets_503_not_a_crash(
    console: Sanic, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    from bot.handoff.tickets import TicketStore

    def locked(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("SELECT", {}, Exception("database is locked"))

    monkeypatch.setattr(TicketStore, "queue", locked)
    [answer] = calls(console, ("GET", "/tickets", None, "alice"))
    assert answer.status_code == 503 and "unavailable" in answer.json()["error"]


# --- What a colleague's case in progress does not give away ---


def test_a_note_neither_reads_nor_opens_a_colleagues_ticket(console: Sanic) -> None:
    ticket = open_ticket(console)
    claim, note, read, admin_note, own_note = calls(
        console,
        ("POST", f"/tickets/{ticket}/claim", {}, "alice"),
        ("POST", f"/tickets/{ticket}/note", {"text": "peek"}, "bob"),
        ("GET", f"/tickets/{ticket}", None, "bob"),
        ("POST", f"/tickets/{ticket}/note", {"text": "checked by an admin"}, "root"),
        ("POST", f"/tickets/{ticket}/note", {"text": "mine"}, "alice"),
    )
    assert claim.status_code == 200
    assert (note.status_code, note.json()) == (403, {"error": responses.NOT_YOURS})
    assert read.status_code == 403
    assert admin_note.status_code == 200
    shown = own_note.json()["ticket"]
    assert [n["text"] for n in shown["notes"]] == ["checked by an admin", "mine"]
    assert all(entry["agent"] != "bob" for entry in shown["history"])


def test_any_agent_notes_a_waiting_ticket_without_taking_it(console: Sanic) -> None:
    ticket = open_ticket(console)
    note, claim = calls(
        console,
        ("POST", f"/tickets/{ticket}/note", {"text": "regular customer"}, "bob"),
        ("POST", f"/tickets/{ticket}/claim", {}, "alice"),
    )
    assert note.status_code == 200 and claim.status_code == 200
    [read] = calls(console, ("GET", f"/tickets/{ticket}", None, "bob"))
    assert read.status_code == 403


def test_whoever_had_the_ticket_still_opens_it(console: Sanic) -> None:
    ticket = open_ticket(console)
    *_, alice_reads, bob_reads = calls(
        console,
        ("POST", f"/tickets/{ticket}/claim", {}, "alice"),
        ("POST", f"/tickets/{ticket}/transfer", {"to": "bob"}, "root"),
        ("POST", f"/tickets/{ticket}/transfer", {"to": "root"}, "root"),
        ("GET", f"/tickets/{ticket}", None, "alice"),
        ("GET", f"/tickets/{ticket}", None, "bob"),
    )
    assert alice_reads.status_code == bob_reads.status_code == 200


TICKET_ROUTES = [
    ("GET", ""),
    ("POST", "/claim"),
    ("POST", "/reply"),
    ("POST", "/note"),
    ("POST", "/transfer"),
    ("POST", "/resolve"),
    ("POST", "/return"),
]


@pytest.mark.parametrize("ticket_id", ["99999999999999999999999999", str(2**63), "0"])
def test_an_id_beyond_the_databases_integers_is_404_on_every_route(
    console: Sanic, ticket_id: str
) -> None:
    body = {"text": "hello", "to": "bob"}
    answers = calls(
        console,
        *(
            (method, f"/tickets/{ticket_id}{route}", body, "root")
            for method, route in TICKET_ROUTES
        ),
    )
    assert [answer.status_code for answer in answers] == [404] * len(TICKET_ROUTES)


# --- Credentials and text that are not what they claim ---


@pytest.mark.parametrize(
    "header",
    [
        b"Authorization: Bearer \xff\xfe",
        b"Authorization: Bearer caf\xc3\xa9",
        b"Cookie: relay_console=\xff\xfe",
    ],
    ids=["undecodable-bearer", "non-ascii-bearer", "undecodable-cookie"],
)
def test_a_token_that_is_not_ascii_is_signed_out_not_a_crash(console: Sanic, header: bytes) -> None:
    assert status_of(console, "GET", "/console/api/v1/me", header + b"\r\n") == 401


def test_an_undecodable_device_cookie_is_a_wrong_password(console: Sanic) -> None:
    headers = b"Content-Type: application/json\r\nCookie: relay_console_device=a.1.\xff\r\n"
    body = b'{"username": "alice", "password": "guess"}'
    assert status_of(console, "POST", "/console/api/v1/login", headers, body) == 401


def test_an_undecodable_username_from_a_known_browser_is_a_wrong_password(console: Sanic) -> None:
    device = sign_in(console, "192.0.2.20", "alice", PASSWORDS["alice"]).cookies[
        access.DEVICE_COOKIE
    ]

    async def go() -> Any:
        async with serving(console) as client:
            return await client.post(
                "/console/api/v1/login",
                content='{"username": "alice\\ud800", "password": "guess"}',
                headers={"Content-Type": "application/json"},
                cookies={access.DEVICE_COOKIE: device},
            )

    assert asyncio.run(go()).status_code == 401


def raw_posts(app: Sanic, who: str, *posts: tuple[str, str]) -> list[Any]:
    """POSTs each (path, JSON text) as `who`: JSON can carry lone surrogates (`\\ud800`),
    which httpx's own encoder refuses to send."""

    async def go() -> list[Any]:
        async with serving(app) as client:
            signed = await client.post(
                "/console/api/v1/login", json={"username": who, "password": PASSWORDS[who]}
            )
            headers = {
                "Authorization": f"Bearer {signed.json()['token']}",
                "Content-Type": "application/json",
            }
            return [
                await client.post("/console/api/v1" + path, content=body, headers=headers)
                for path, body in posts
            ]

    return asyncio.run(go())


def test_free_text_is_cleaned_like_a_customers(console: Sanic) -> None:
    ticket = open_ticket(console)
    claim, note, empty, reply, transfer = raw_posts(
        console,
        "alice",
        (f"/tickets/{ticket}/claim", "{}"),
        (f"/tickets/{ticket}/note", '{"text": "\\ud800 hi\\u0000"}'),
        (f"/tickets/{ticket}/note", '{"text": "\\ud800\\u0001\\udfff"}'),
        (f"/tickets/{ticket}/reply", '{"text": "\\udcff"}'),
        (f"/tickets/{ticket}/transfer", '{"to": "bob\\ud800"}'),
    )
    assert claim.status_code == 200
    assert note.status_code == 200 and note.json()["ticket"]["notes"][-1]["text"] == "hi"
    assert empty.status_code == reply.status_code == 400
    assert transfer.status_code == 200
    assert transfer.json()["ticket"]["assignee"]["username"] == "bob"


def test_an_admin_cannot_save_an_agent_with_untypeable_text(console: Sanic) -> None:
    named, locked_out = raw_posts(
        console,
        "root",
        ("/agents", '{"username": "eve", "name": "Eve \\ud800", "password": "eves-password-1"}'),
        ("/agents", '{"username": "eve", "password": "eves-password\\ud800"}'),
    )
    assert named.status_code == 200 and named.json()["agent"]["name"] == "Eve"
    assert locked_out.status_code == 400


def test_a_slow_database_never_holds_up_the_loop_while_agents_sign_in_and_poll(
    console: Sanic,
) -> None:
    """Sign-in and the queue's poll (every 2 s per console) wait for the database in
    worker threads: the loop (every other request) goes on meanwhile."""
    services = of_app(console)
    open_ticket(console)
    sessions = Slow(services.sessions, "issue", "agent")
    tickets = Slow(services.tickets, "queue")
    console.ctx.services = services.replaced(sessions=sessions, tickets=tickets)

    async def sign_in_and_poll() -> Any:
        # Started first: the server's start (it reads domain.yml) is not what is timed.
        async with serving(console) as client:

            async def both() -> Any:
                signed = await client.post(
                    "/console/api/v1/login",
                    json={"username": "alice", "password": PASSWORDS["alice"]},
                )
                headers = {"Authorization": f"Bearer {signed.json()['token']}"}
                return await client.get("/console/api/v1/tickets", headers=headers)

            return await alongside(both)

    answer, took, gap = asyncio.run(sign_in_and_poll())
    assert answer.status_code == 200 and len(answer.json()["tickets"]) == 1
    assert took >= 3 * BLOCK and gap < STALL
    calls = sessions.calls + tickets.calls
    assert sorted(name for name, _ in calls) == ["agent", "issue", "queue"]
    assert all(thread != "MainThread" for _, thread in calls)
