"""The console's agents: usernames, display names and scrypt password hashes.

Agents live in a YAML file outside the repository (RELAY_AGENTS_FILE, default
var/agents.yml, readable by its owner only), never as plain passwords:

    agents:
      - username: alice
        name: Alice Moreau
        role: agent
        password: scrypt$16384$8$1$<salt>$<hash>

A role is `agent` (works the queue) or `admin` (also manages agents, takes over or
closes any ticket, sees every ticket). An entry without a role is an agent, except
`admin`, created before roles existed, which stays an admin.

Add or reset one with `make agent USERNAME=alice NAME="Alice Moreau"` (asks for
the password), i.e. `python -m bot.handoff.agents add alice --name "Alice Moreau"
[--role admin]`; `remove alice` deletes one. A new password ends every console
session of that agent (bot/handoff/auth.py compares a stamp of the hash).
"""

from __future__ import annotations

import argparse
import base64
import getpass
import hashlib
import hmac
import os
import re
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.secret_files import write_secret
from bot.settings import load_settings

N, R, P = 2**14, 8, 1
MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # longer ones are refused before hashing (scrypt's cost grows with it)
ADMIN_PASSWORD_FILE = "console_admin_password"
AGENT, ADMIN = "agent", "admin"
ROLES = (AGENT, ADMIN)
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


@dataclass(frozen=True)
class Agent:
    username: str
    name: str
    password_hash: str
    role: str = AGENT

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN

    @property
    def stamp(self) -> str:
        """Changes whenever the password does: sessions issued before a reset end."""
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]

    def public(self) -> dict[str, str]:
        """How the agent is shown: to colleagues in the console, to the customer by name."""
        return {"username": self.username, "name": self.name}

    def profile(self) -> dict[str, str]:
        """The signed-in agent's own view of themselves, with their role."""
        return {**self.public(), "role": self.role}


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=N, r=R, p=P, dklen=32)
    encode = base64.b64encode
    return f"scrypt${N}${R}${P}${encode(salt).decode()}${encode(digest).decode()}"


def check_password(password: str, stored: str) -> bool:
    if len(password) > MAX_PASSWORD:
        return False
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


class AgentsError(ValueError):
    """The agents file is malformed."""


def load_agents(path: Path) -> dict[str, Agent]:
    if not path.exists():
        return {}
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    agents = {}
    for entry in raw.get("agents") or []:
        try:
            username = str(entry["username"])
            role = str(entry.get("role") or (ADMIN if username == ADMIN else AGENT))
            agent = Agent(
                username, str(entry.get("name") or username), str(entry["password"]), role
            )
        except (KeyError, TypeError) as error:
            raise AgentsError(f"{path}: each agent needs username and password") from error
        if not agent.password_hash.startswith("scrypt$"):
            raise AgentsError(f"{path}: {agent.username}'s password is not a scrypt hash")
        if agent.role not in ROLES:
            raise AgentsError(f"{path}: {agent.username}'s role {role!r} is not one of {ROLES}")
        agents[agent.username] = agent
    return agents


def save_agents(path: Path, agents: dict[str, Agent]) -> None:
    data = {
        "agents": [
            {"username": a.username, "name": a.name, "role": a.role, "password": a.password_hash}
            for a in agents.values()
        ]
    }
    text = "# Relay console agents (python -m bot.handoff.agents add USERNAME)\n" + yaml.safe_dump(
        data, sort_keys=False
    )
    write_secret(path, text.encode("utf-8"))


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AgentsError(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AgentsError(f"a password has at most {MAX_PASSWORD} characters")
    try:
        password.encode()
    except UnicodeEncodeError:  # a lone surrogate, from JSON's \ud800: nobody could type it
        raise AgentsError("a password must be text that can be typed") from None


def add_agent(
    path: Path, username: str, name: str, password: str, role: str | None = None
) -> Agent:
    """Adds an agent, or resets an existing one's password (and name, and role if given)."""
    check_new_password(password)
    if not USERNAME.fullmatch(username):
        raise AgentsError(
            f"{username!r}: a username is 1-64 lower-case letters, digits, '.', '_' or '-'"
        )
    agents = load_agents(path)
    previous = agents.get(username)
    chosen = role or (previous.role if previous else AGENT)
    if chosen not in ROLES:
        raise AgentsError(f"a role is one of {ROLES}, not {chosen!r}")
    agents[username] = Agent(username, name, hash_password(password), chosen)
    save_agents(path, agents)
    return agents[username]


def remove_agent(path: Path, username: str) -> Agent:
    """Removes an agent; the last admin stays (someone must be able to manage the team)."""
    agents = load_agents(path)
    if username not in agents:
        raise AgentsError(f"there is no agent {username!r}")
    removed = agents.pop(username)
    if removed.is_admin and not any(agent.is_admin for agent in agents.values()):
        raise AgentsError(f"{username} is the last admin; make someone else admin first")
    save_agents(path, agents)
    return removed


def ensure_admin(path: Path, data_dir: Path) -> Path | None:
    """On a fresh install, creates agent `admin` with a random password kept (0600) in the
    data directory, and returns that file; returns None when agents exist already."""
    if load_agents(path):
        return None
    password = secrets.token_urlsafe(12)
    add_agent(path, ADMIN, "Admin", password, role=ADMIN)
    secret_file = data_dir / ADMIN_PASSWORD_FILE
    write_secret(secret_file, (password + "\n").encode("utf-8"))
    return secret_file


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Manage the agent console's agents.")
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="add an agent or reset their password")
    add.add_argument("username")
    add.add_argument("--name", default=None)
    add.add_argument("--role", choices=ROLES, default=None, help="default: agent (or unchanged)")
    remove = sub.add_parser("remove", help="remove an agent")
    remove.add_argument("username")
    sub.add_parser("list", help="list the agents")
    args = parser.parse_args(argv)
    path = load_settings().agents_file
    assert path is not None
    try:
        if args.command == "list":
            for agent in load_agents(path).values():
                print(f"{agent.username}\t{agent.name}\t{agent.role}")
            return 0
        if args.command == "remove":
            removed = remove_agent(path, args.username)
            print(f"Removed agent {removed.username}; their console sessions have ended")
            return 0
        password = os.environ.get("RELAY_AGENT_PASSWORD") or getpass.getpass("Password: ")
        agent = add_agent(path, args.username, args.name or args.username, password, args.role)
    except AgentsError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"Saved agent {agent.username} ({agent.name}, {agent.role}) in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
