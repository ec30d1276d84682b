"""Starts Relay on localhost: the action server and the Rasa server, until Ctrl-C.

python -m bot.tools.run   (what `make run` does after training)

A process that dies is started again (bot/tools/supervisor.py); the other keeps serving.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

from bot.channels.widget_session import customer_signature, identity_secret
from bot.handoff.agents import ensure_admin
from bot.settings import load_settings
from bot.tools.services import (
    Ports,
    action_server_command,
    environment,
    rasa_server_command,
)
from bot.tools.supervisor import Supervisor

STARTUP_SECONDS = 180
DEMO_CUSTOMER = "web-maya"  # Maya Patel's website id in the demo shop's data
DEMO_HOURS = 12  # how long the signed-in demo link works; `make run` again for a new one


def wait_until_up(url: str, processes: list[subprocess.Popen[bytes]], seconds: float) -> bool:
    """Polls `url` until it answers, a process dies, or time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            return False
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except OSError:
            time.sleep(1)
    return False


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def signed_in_demo(
    data_dir: Path, website_id: str = DEMO_CUSTOMER, now: float | None = None
) -> str:
    """The demo page's query for a signed-in customer, signed as a shop's backend would,
    valid for DEMO_HOURS from `now` (default: the current time)."""
    expires = int(time.time() if now is None else now) + DEMO_HOURS * 3600
    signature = customer_signature(identity_secret(data_dir), website_id, expires)
    query = {"customer": website_id, "expires": expires, "signature": signature}
    return urllib.parse.urlencode(query)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=Path("models/relay.tar.gz"))
    parser.add_argument("--rasa-port", type=int, default=5005)
    parser.add_argument("--actions-port", type=int, default=5055)
    args = parser.parse_args(argv)

    settings = load_settings()
    ports = Ports(rasa=args.rasa_port, actions=args.actions_port)
    env = environment(settings.data_dir, ports)
    assert settings.agents_file is not None
    created = ensure_admin(settings.agents_file, settings.data_dir)
    if created:
        print(f"Created console agent `admin`; its password is in {created}", flush=True)
    supervisor = Supervisor()
    # Ctrl-C and `kill` both stop every process cleanly, even when started in the background.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        supervisor.add("action server", action_server_command(ports), env)
        supervisor.add("Rasa server", rasa_server_command(args.model, ports), env)
        up = wait_until_up(
            f"http://127.0.0.1:{ports.rasa}/health", supervisor.processes(), STARTUP_SECONDS
        )
        if not up:
            print("Relay did not start; see the log lines above.", file=sys.stderr)
            return 1
        demo = f"http://localhost:{ports.rasa}/webhooks/widget/demo"
        print(
            "\nRelay is running.\n"
            f"  Chat on a demo shop:   {demo}\n"
            f"  ... signed in as Maya: {demo}?{signed_in_demo(settings.data_dir)}\n"
            f"    (works for {DEMO_HOURS} hours: a shop's backend signs a customer's id with an\n"
            "    expiry, as in the README's widget section)\n"
            f"  REST channel:          http://localhost:{ports.rasa}/webhooks/rest/webhook\n"
            f"  Agent console:         http://localhost:{ports.rasa}/console/ "
            f"(agents in {settings.agents_file}; add one with `make agent`)\n"
            f"  HTTP API token:        in {settings.data_dir / 'api_token'} (or RELAY_API_TOKEN)\n"
            f"  Health, readiness:     http://localhost:{ports.rasa}/health, /ready\n"
            f"  Shop data (SQLite):    {settings.shop_db_url}\n"
            "A process that stops is started again. Press Ctrl-C to stop.\n",
            flush=True,
        )
        while True:
            supervisor.check()
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nStopping Relay...", flush=True)
        return 0
    finally:
        supervisor.stop()


if __name__ == "__main__":
    sys.exit(main())
