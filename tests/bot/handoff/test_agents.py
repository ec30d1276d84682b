"""bot/handoff/agents.py: the console's agents and their scrypt password hashes."""

from __future__ import annotations

import stat

import pytest

from bot.handoff import agents
from bot.handoff.agents import (
    ADMIN_PASSWORD_FILE,
    Agent,
    AgentsError,
    add_agent,
    check_password,
    ensure_admin,
    hash_password,
    load_agents,
    remove_agent,
    save_agents,
)

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def stored() -> str:
    return hash_password(PASSWORD)


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- Hashing ---


def test_a_hash_is_scrypt_with_its_parameters_and_a_random_salt(stored):
    scheme, n, r, p, salt, digest = stored.split("$")
    assert (scheme, n, r, p) == ("scrypt", "16384", "8", "1")
    assert salt and digest
    assert PASSWORD not in stored
    assert hash_password(PASSWORD) != stored


def test_the_same_salt_gives_the_same_hash():
    salt = b"0123456789abcdef"
    assert hash_password(PASSWORD, salt) == hash_password(PASSWORD, salt)


def test_check_password_accepts_the_right_password_only(stored):
    assert check_password(PASSWORD, stored) is True
    assert check_password("correct horse battery ", stored) is False
    assert check_password("", stored) is False


@pytest.mark.parametrize(
    "malformed",
    [
        "",
        "plain-text-password",
        "scrypt$16384$8$1$onlyfive",
        "bcrypt$16384$8$1$c2FsdA==$ZGlnZXN0",
        "scrypt$many$8$1$c2FsdA==$ZGlnZXN0",
        "scrypt$16384$8$1$not base64!$ZGlnZXN0",
        "scrypt$1000$8$1$c2FsdA==$ZGlnZXN0",
    ],
)
def test_check_password_rejects_a_malformed_hash(malformed):
    assert check_password(PASSWORD, malformed) is False


# --- The agents file ---


def test_save_and_load_round_trip_with_a_private_file(tmp_path, stored):
    path = tmp_path / "var" / "agents.yml"
    team = {
        "alice": Agent("alice", "Alice Moreau", stored),
        "bob": Agent("bob", "Bob", stored),
    }
    save_agents(path, team)
    assert mode(path) == 0o600
    assert path.read_text(encoding="utf-8").startswith("# Relay console agents")
    assert load_agents(path) == team
    assert load_agents(path)["alice"].public() == {"username": "alice", "name": "Alice Moreau"}


def test_load_agents_of_a_missing_or_empty_file(tmp_path):
    assert load_agents(tmp_path / "missing.yml") == {}
    empty = tmp_path / "agents.yml"
    empty.write_text("", encoding="utf-8")
    assert load_agents(empty) == {}


def test_load_agents_without_a_name_uses_the_username(tmp_path, stored):
    path = tmp_path / "agents.yml"
    path.write_text(f"agents:\n  - username: carol\n    password: '{stored}'\n", encoding="utf-8")
    assert load_agents(path)["carol"].name == "carol"


def test_load_agents_rejects_plain_passwords(tmp_path):
    path = tmp_path / "agents.yml"
    path.write_text("agents:\n  - username: alice\n    password: hunter2hunter2\n", "utf-8")
    with pytest.raises(AgentsError, match="alice's password is not a scrypt hash"):
        load_agents(path)


@pytest.mark.parametrize(
    "entry", ["  - username: alice\n", "  - password: 'scrypt$x'\n", "  - just-a-name\n"]
)
def test_load_agents_needs_username_and_password(tmp_path, entry):
    path = tmp_path / "agents.yml"
    path.write_text("agents:\n" + entry, encoding="utf-8")
    with pytest.raises(AgentsError, match="needs username and password"):
        load_agents(path)


def test_add_agent_adds_or_resets_a_password(tmp_path):
    path = tmp_path / "agents.yml"
    first = add_agent(path, "alice", "Alice", PASSWORD)
    add_agent(path, "bob", "Bob", "another long one")
    reset = add_agent(path, "alice", "Alice Moreau", "a brand new password")
    team = load_agents(path)
    assert list(team) == ["alice", "bob"]
    assert team["alice"] == reset and reset.name == "Alice Moreau"
    assert reset.password_hash != first.password_hash
    assert check_password("a brand new password", team["alice"].password_hash)
    assert mode(path) == 0o600


def test_add_agent_needs_a_password_of_ten_characters(tmp_path):
    path = tmp_path / "agents.yml"
    with pytest.raises(AgentsError, match="at least 10 characters"):
        add_agent(path, "alice", "Alice", "123456789")
    assert not path.exists()
    assert add_agent(path, "alice", "Alice", "1234567890").username == "alice"


def test_a_password_nobody_could_type_is_refused(tmp_path):
    path = tmp_path / "agents.yml"
    with pytest.raises(AgentsError, match="typed"):
        add_agent(path, "alice", "Alice", "long-enough-\ud800")  # a lone surrogate, from JSON
    assert not path.exists()
    assert add_agent(path, "alice", "Alice", "mot-de-passe-été").username == "alice"


def test_ensure_admin_creates_the_admin_once(tmp_path):
    path = tmp_path / "agents.yml"
    secret = ensure_admin(path, tmp_path)
    assert secret == tmp_path / ADMIN_PASSWORD_FILE
    assert mode(secret) == 0o600
    password = secret.read_text(encoding="utf-8").strip()
    admin = load_agents(path)["admin"]
    assert admin.name == "Admin"
    assert check_password(password, admin.password_hash)
    assert ensure_admin(path, tmp_path) is None
    assert secret.read_text(encoding="utf-8").strip() == password


def test_the_generated_admin_is_an_admin(tmp_path):
    path = tmp_path / "agents.yml"
    ensure_admin(path, tmp_path)
    assert load_agents(path)["admin"].is_admin


# --- Roles, removal, stamps ---


def test_roles_are_kept_and_an_admin_from_before_roles_stays_admin(tmp_path, stored):
    path = tmp_path / "agents.yml"
    path.write_text(
        f"agents:\n  - username: admin\n    password: '{stored}'\n"
        f"  - username: carol\n    password: '{stored}'\n"
        f"  - username: dan\n    role: admin\n    password: '{stored}'\n",
        encoding="utf-8",
    )
    team = load_agents(path)
    assert [(a.username, a.role) for a in team.values()] == [
        ("admin", "admin"),
        ("carol", "agent"),
        ("dan", "admin"),
    ]
    save_agents(path, team)
    assert load_agents(path) == team


def test_an_unknown_role_is_refused(tmp_path, stored):
    path = tmp_path / "agents.yml"
    path.write_text(f"agents:\n  - username: e\n    role: boss\n    password: '{stored}'\n")
    with pytest.raises(AgentsError, match="role 'boss'"):
        load_agents(path)
    with pytest.raises(AgentsError, match="a role is one of"):
        add_agent(tmp_path / "other.yml", "e", "E", PASSWORD, role="boss")


def test_a_reset_keeps_the_role_and_changes_the_stamp(tmp_path):
    path = tmp_path / "agents.yml"
    first = add_agent(path, "dan", "Dan", PASSWORD, role="admin")
    again = add_agent(path, "dan", "Dan K", PASSWORD + "!")
    assert again.role == "admin" and again.name == "Dan K"
    assert first.stamp != again.stamp and len(again.stamp) == 16


@pytest.mark.parametrize("username", ["", "Alice", "al ice", "a/b", "x" * 65, "../etc"])
def test_usernames_are_plain(tmp_path, username):
    with pytest.raises(AgentsError, match="a username is"):
        add_agent(tmp_path / "agents.yml", username, "N", PASSWORD)


def test_a_huge_password_is_refused_before_hashing(tmp_path, stored):
    with pytest.raises(AgentsError, match="at most"):
        add_agent(tmp_path / "agents.yml", "e", "E", "x" * 5000)
    assert check_password("x" * 5000, stored) is False


def test_remove_keeps_the_last_admin(tmp_path):
    path = tmp_path / "agents.yml"
    add_agent(path, "admin", "Admin", PASSWORD, role="admin")
    add_agent(path, "alice", "Alice", PASSWORD)
    assert remove_agent(path, "alice").username == "alice"
    with pytest.raises(AgentsError, match="last admin"):
        remove_agent(path, "admin")
    with pytest.raises(AgentsError, match="no agent"):
        remove_agent(path, "nobody")
    assert list(load_agents(path)) == ["admin"]


def test_cli_remove(agents_file, capsys):
    add_agent(agents_file, "admin", "Admin", PASSWORD, role="admin")
    add_agent(agents_file, "bob", "Bob", PASSWORD)
    assert agents.main(["remove", "bob"]) == 0
    assert "Removed agent bob" in capsys.readouterr().out
    assert agents.main(["remove", "admin"]) == 1
    assert "last admin" in capsys.readouterr().err


def test_ensure_admin_leaves_an_existing_team_alone(tmp_path, stored):
    path = tmp_path / "agents.yml"
    save_agents(path, {"alice": Agent("alice", "Alice", stored)})
    assert ensure_admin(path, tmp_path) is None
    assert list(load_agents(path)) == ["alice"]
    assert not (tmp_path / ADMIN_PASSWORD_FILE).exists()


# --- Command line ---


@pytest.fixture
def agents_file(tmp_path, monkeypatch):
    path = tmp_path / "agents.yml"
    monkeypatch.setenv("RELAY_AGENTS_FILE", str(path))
    monkeypatch.delenv("RELAY_AGENT_PASSWORD", raising=False)
    return path


def test_cli_add_with_the_password_from_the_environment(agents_file, monkeypatch, capsys):
    monkeypatch.setenv("RELAY_AGENT_PASSWORD", PASSWORD)
    assert agents.main(["add", "alice", "--name", "Alice Moreau"]) == 0
    assert capsys.readouterr().out == f"Saved agent alice (Alice Moreau, agent) in {agents_file}\n"
    assert check_password(PASSWORD, load_agents(agents_file)["alice"].password_hash)


def test_cli_add_asks_for_the_password_and_defaults_the_name(agents_file, monkeypatch):
    monkeypatch.setattr(agents.getpass, "getpass", lambda prompt: "typed at the prompt")
    assert agents.main(["add", "bob"]) == 0
    bob = load_agents(agents_file)["bob"]
    assert bob.name == "bob"
    assert check_password("typed at the prompt", bob.password_hash)


def test_cli_add_refuses_a_short_password(agents_file, monkeypatch, capsys):
    monkeypatch.setenv("RELAY_AGENT_PASSWORD", "short")
    assert agents.main(["add", "alice"]) == 1
    assert "at least 10 characters" in capsys.readouterr().err
    assert not agents_file.exists()


def test_cli_list(agents_file, stored, capsys):
    save_agents(agents_file, {"alice": Agent("alice", "Alice Moreau", stored)})
    assert agents.main(["list"]) == 0
    assert capsys.readouterr().out == "alice\tAlice Moreau\tagent\n"


def test_cli_list_without_agents_prints_nothing(agents_file, capsys):
    assert agents.main(["list"]) == 0
    assert capsys.readouterr().out == ""


def test_cli_needs_a_command(agents_file):
    with pytest.raises(SystemExit):
        agents.main([])
