"""Starts Relay's action server: rasa-sdk's, with a credential, readiness and clean logs.

    python -m bot.tools.action_server [--port 5055] [--workers N]

The actions read customers' orders and change them, so the server answers only
callers that send `Authorization: Bearer <RELAY_ACTION_TOKEN>` (the Rasa server
does, from endpoints.yml), listens on 127.0.0.1 unless told otherwise, and allows no
cross-origin browser calls. `GET /health` says the process is up, `GET /ready` that
the shop's database answers. Each log line names the conversation of the action it
belongs to, and no secret (bot/ops/logs.py).

rasa-sdk runs one worker's actions on one event loop, and the actions read the shop's
database there, so a worker runs one action at a time: `--workers` (or
RELAY_ACTION_WORKERS, default 1) starts that many worker processes on the port
(`make bench-actions` measures what they give; docs/deployment.md).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.inbound import bearer, same_secret
from bot.ops import logs

logger = logging.getLogger(__name__)

TOKEN_ENV = "RELAY_ACTION_TOKEN"
WORKERS_ENV = "RELAY_ACTION_WORKERS"
OPEN_PATHS = ("/health", "/ready")
# A call carries the whole conversation so far: allow long ones.
MAX_REQUEST_BYTES = 64 * 1024 * 1024
UNAUTHORIZED = "Send the action server's token as Authorization: Bearer <token>"


def _shop_answers() -> None:
    from actions.shop import services

    services().repository.ping()


def create_app(token: str) -> Sanic:
    """rasa-sdk's app for the `actions` package, behind `token`."""
    if not token:
        raise ValueError(f"{TOKEN_ENV} must be set: nobody may call the actions without it")
    from rasa_sdk.endpoint import create_app as create_sdk_app

    app: Sanic = create_sdk_app("actions", cors_origins=None)
    app.config.REQUEST_MAX_SIZE = MAX_REQUEST_BYTES

    @app.middleware("request")  # type: ignore[no-untyped-call,untyped-decorator]  # Sanic 21.12
    async def authorize(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS:
            return None
        if not same_secret(bearer(request.headers.get("Authorization")), token):
            return response.json({"error": UNAUTHORIZED}, 401)
        logs.conversation.set("-")
        body = request.json if request.method == "POST" else None
        if isinstance(body, dict) and isinstance(body.get("sender_id"), str):
            logs.conversation.set(body["sender_id"])
        return None

    @app.get("/ready")
    async def ready(request: Request) -> HTTPResponse:
        try:
            await asyncio.wait_for(asyncio.to_thread(_shop_answers), 3.0)
        except Exception as error:
            logger.warning("not ready: the shop database failed: %s", error)
            return response.json({"ready": False, "checks": {"shop": type(error).__name__}}, 503)
        return response.json({"ready": True, "checks": {"shop": "ok"}})

    return app


def _workers(value: str) -> int:
    try:
        workers = int(value)
    except ValueError:
        workers = 0
    if not 1 <= workers <= 64:
        raise argparse.ArgumentTypeError(
            f"workers must be a whole number from 1 to 64, not {value!r}"
        )
    return workers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument("--interface", default=os.environ.get("SANIC_HOST") or "127.0.0.1")
    parser.add_argument("--workers", type=_workers, default=os.environ.get(WORKERS_ENV) or "1")
    args = parser.parse_args(argv)
    logging.basicConfig(level=os.environ.get("LOG_LEVEL") or "INFO")
    logs.install()
    token = os.environ.get(TOKEN_ENV) or ""
    try:
        app = create_app(token)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    logger.info("Relay's action server listens on %s:%d", args.interface, args.port)
    app.run(args.interface, args.port, workers=args.workers, access_log=False, motd=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
