"""Talk to Relay in the terminal: starts the action server, then `rasa shell`.

python -m bot.tools.shell   (what `make shell` does)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from bot.settings import load_settings
from bot.tools.run import stop, wait_until_up
from bot.tools.services import Ports, action_server_command, environment, rasa_bin


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=Path("models/relay.tar.gz"))
    parser.add_argument(
        "--sender",
        default="shell",
        help="conversation id; try site-web-maya (Maya, signed in on the shop's site)",
    )
    args = parser.parse_args(argv)
    settings = load_settings()
    ports = Ports()
    env = environment(settings.data_dir, ports)
    actions = subprocess.Popen(action_server_command(ports), env=env)
    try:
        if not wait_until_up(f"http://127.0.0.1:{ports.actions}/health", [actions], 120):
            print("The action server did not start.", file=sys.stderr)
            return 1
        shell = [
            rasa_bin(),
            "shell",
            "--model",
            str(args.model),
            "--endpoints",
            "endpoints.yml",
            "--conversation-id",
            args.sender,
        ]
        return subprocess.call(shell, env=env)
    except KeyboardInterrupt:
        return 0
    finally:
        stop([actions])


if __name__ == "__main__":
    sys.exit(main())
