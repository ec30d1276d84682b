"""The console's agents: usernames, display names and scrypt password hashes.

Agents live in a YAML file outside the repository (RELAY_AGENTS_FILE, default
var/agents.yml), never as plain passwords:

    agents:
      - username: alice
        name: Alice Moreau
        password: scrypt$16384$8$1$<salt>$<hash>

Add or reset one with `make agent USERNAME=alice NAME="Alice Moreau"` (asks for
the password), i.e. `python -m bot.handoff.agents add alice --name "Alice Moreau"`.
"""

from __future__ import annotations

import argparse
import base64
import getpass
import hashlib
import hmac
import os
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.secret_files import write_secret
from bot.settings import load_settings

N, R, P = 2**14, 8, 1
MIN_PASSWORD = 10
ADMIN_PASSWORD_FILE = "console_admin_password"


@dataclass(frozen=True)
class Agent:
    username: str
    name: str
    password_hash: str

    def public(self) -> dict[str, str]:
        return {"username": self.username, "name": self.name}


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=N, r=R, p=P, dklen=32)
    encode = base64.b64encode
    return f"scrypt${N}${R}${P}${encode(salt).decode()}${encode(digest).decode()}"


def check_password(password: str, stored: str) -> bool:
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
            agent = Agent(
                str(entry["username"]),
                str(entry.get("name") or entry["username"]),
                str(entry["password"]),
            )
        except (KeyError, TypeError) as error:
            raise AgentsError(f"{path}: each agent needs username and password") from error
        if not agent.password_hash.startswith("scrypt$"):
            raise AgentsError(f"{path}: {agent.username}'s password is not a scrypt hash")
        agents[agent.username] = agent
    return agents


def save_agents(path: Path, agents: dict[str, Agent]) -> None:
    data = {
        "agents": [
            {"username": a.username, "name": a.name, "password": a.password_hash}
            for a in agents.values()
        ]
    }
    text = "# Relay console agents (python -m bot.handoff.agents add USERNAME)\n" + yaml.safe_dump(
        data, sort_keys=False
    )
    write_secret(path, text.encode("utf-8"))


def add_agent(path: Path, username: str, name: str, password: str) -> Agent:
    if len(password) < MIN_PASSWORD:
        raise AgentsError(f"a password needs at least {MIN_PASSWORD} characters")
    agents = load_agents(path)
    agents[username] = Agent(username, name, hash_password(password))
    save_agents(path, agents)
    return agents[username]


def ensure_admin(path: Path, data_dir: Path) -> Path | None:
    """On a fresh install, creates agent `admin` with a random password kept (0600) in the
    data directory, and returns that file; returns None when agents exist already."""
    if load_agents(path):
        return None
    password = secrets.token_urlsafe(12)
    add_agent(path, "admin", "Admin", password)
    secret_file = data_dir / ADMIN_PASSWORD_FILE
    write_secret(secret_file, (password + "\n").encode("utf-8"))
    return secret_file


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Manage the agent console's agents.")
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="add an agent or reset their password")
    add.add_argument("username")
    add.add_argument("--name", default=None)
    sub.add_parser("list", help="list the agents")
    args = parser.parse_args(argv)
    path = load_settings().agents_file
    assert path is not None
    if args.command == "list":
        for agent in load_agents(path).values():
            print(f"{agent.username}\t{agent.name}")
        return 0
    password = os.environ.get("RELAY_AGENT_PASSWORD") or getpass.getpass("Password: ")
    try:
        agent = add_agent(path, args.username, args.name or args.username, password)
    except AgentsError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"Saved agent {agent.username} ({agent.name}) in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
