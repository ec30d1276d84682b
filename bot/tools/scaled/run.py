"""Starts Relay's scaled profile on localhost until Ctrl-C (what `make run-scaled` does).

python -m bot.tools.scaled.run [--replicas 2]

PostgreSQL, Redis, the action server, REPLICAS Rasa servers and nginx in front of
them (bot/tools/scaled/stack.py), with everything under var/scaled/. Clients use
nginx's address (port 5005, as with `make run`); a replica that dies is started
again while the others serve. docs/deployment.md explains each part for a real
deployment.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from bot.handoff.agents import ensure_admin
from bot.settings import ROOT, load_settings
from bot.tools.scaled.servers import ServerFailed, ServerMissing
from bot.tools.scaled.stack import ScaledPorts, ScaledStack

DATA_DIR = ROOT / "var" / "scaled"


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "relay.tar.gz")
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--port", type=int, default=5005, help="nginx, the clients' address")
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    args = parser.parse_args(argv)
    if args.replicas < 1:
        parser.error("--replicas must be 1 or more")

    ports = ScaledPorts(
        entry=args.port, replicas=tuple(args.port + 6 + i for i in range(args.replicas))
    )
    stack = ScaledStack(args.data_dir, args.model, ports)
    settings = load_settings(stack.env())
    assert settings.agents_file is not None
    created = ensure_admin(settings.agents_file, settings.data_dir)
    if created:
        print(f"Created console agent `admin`; its password is in {created}", flush=True)
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        stack.start()
        seconds = stack.wait_ready()
        replicas = ", ".join(str(port) for port in ports.replicas)
        print(
            f"\nRelay (scaled) is running, ready after {seconds:.0f} s.\n"
            f"  Clients (nginx):   {stack.url}  (chat: {stack.url}/webhooks/widget/demo)\n"
            f"  Rasa servers:      {len(ports.replicas)}, on ports {replicas}\n"
            f"  Agent console:     {stack.url}/console/\n"
            f"  PostgreSQL:        127.0.0.1:{ports.postgres}, database relay, user relay "
            f"(password in {args.data_dir / 'postgres_password'})\n"
            f"  Redis:             {stack.redis.url}\n"
            f"  Who served what:   {args.data_dir}/nginx/access.log (upstream=...)\n"
            "A process that stops is started again. Press Ctrl-C to stop.\n",
            flush=True,
        )
        while True:
            stack.supervisor.check()
            time.sleep(0.5)
    except (ServerMissing, ServerFailed, TimeoutError) as error:
        print(f"Relay (scaled) did not start: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping Relay (scaled)...", flush=True)
        return 0
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
