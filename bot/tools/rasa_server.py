"""Starts Relay's Rasa server: `rasa run`, the way Relay needs it.

    python -m bot.tools.rasa_server --model models/relay.tar.gz [--port 5005]

Unlike `rasa run --auth-token ...`, the HTTP API's token comes from the environment
(RELAY_API_TOKEN) or the data directory, never the command line, where `ps` would
show it to every user of the machine. Before the server starts, log lines are given
the conversation id and stripped of secrets (bot/ops/logs.py) and request bodies are
limited (MAX_REQUEST_BYTES), the model loads in half the time
(bot/ops/model_loading.py: no training step to build DIET and TED) and the action
server's answers are checked at a fraction of Rasa's cost (bot/ops/action_results.py);
once the model is loaded, the agent is hardened (bot/ops/hardening.py) and Relay's
services are made in a worker thread (`Services.warm`), webhook deliveries left pending
by a restart going out.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import Any

from bot.settings import ROOT, load_settings

logger = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 2 * 1024 * 1024  # Sanic's default is 100 MB; customers send 5,000 chars


async def _on_start(app: Any, loop: Any) -> None:
    from bot.ops.hardening import harden
    from bot.services import of_app

    services = of_app(app)
    harden(getattr(app.ctx, "agent", None), services)
    # Stores, schema, files and the webhook (which sends the ticket events still pending
    # from before a restart) are made now, in a worker thread, not by the first requests
    # on the event loop.
    await asyncio.to_thread(services.warm)
    logger.info("Relay's Rasa server is ready")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--port", type=int, default=5005)
    parser.add_argument("--interface", default="127.0.0.1")
    parser.add_argument("--endpoints", type=Path, default=ROOT / "endpoints.yml")
    parser.add_argument("--credentials", type=Path, default=ROOT / "credentials.yml")
    args = parser.parse_args(argv)

    # Read by Sanic when Rasa creates its app.
    os.environ.setdefault("SANIC_REQUEST_MAX_SIZE", str(MAX_REQUEST_BYTES))
    from bot.ops import action_results, logs, model_loading

    model_loading.install()  # before Rasa is imported (see bot/ops/model_loading.py)
    action_results.install()  # each action call's answer checked without re-checking a schema
    from rasa.core.run import serve_application
    from rasa.core.utils import AvailableEndpoints
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog
    from rasa.utils.tensorflow import environment as tf_env

    from bot.tools.services import api_token

    configure_logging_and_warnings(None, warn_only_once=True, filter_repeated_logs=True)
    configure_structlog(None)
    tf_env.setup_tf_environment()
    token = api_token(load_settings().data_dir)
    logs.install([token])
    serve_application(
        str(args.model),
        credentials=str(args.credentials),
        endpoints=AvailableEndpoints.read_endpoints(str(args.endpoints)),
        interface=args.interface,
        port=args.port,
        auth_token=token,
        enable_api=True,
        server_listeners=[(_on_start, "after_server_start")],
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
