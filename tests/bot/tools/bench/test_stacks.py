"""bot/tools/bench/stacks.py: Relay behind a backend token, the baseline as plain `rasa run`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bot.tools.bench.stacks import (
    BASELINE,
    BASELINE_CREDENTIALS,
    RELAY,
    BaselineStack,
    RelayStack,
)
from bot.tools.soak.stack import ACTIONS, RASA


def test_relays_rest_channel_has_a_backend_and_anonymous_senders(tmp_path: Path) -> None:
    relay = RelayStack(tmp_path / "relay", tmp_path / "relay.tar.gz")
    env = relay.env()
    assert relay.name == RELAY
    assert env["RELAY_REST_TOKEN"] == relay.rest_token != ""
    assert env["RELAY_REST_SENDERS_ARE_CUSTOMERS"] == ""  # conversations are rest-<sender>
    assert relay.headers == {"Authorization": f"Bearer {relay.rest_token}"}
    assert relay.sender("bench-x") == "bench-x"
    assert "bot.tools.rasa_server" in relay.command(RASA)
    assert relay.readiness_url(RASA) == relay.url + "/webhooks/rest/"
    assert relay.readiness_url(ACTIONS) == relay.actions_url + "/health"


def test_the_baseline_is_plain_rasa_with_the_stock_rest_channel(tmp_path: Path) -> None:
    model = tmp_path / "baseline.tar.gz"
    model.write_bytes(b"archive")
    plain = BaselineStack(tmp_path / "baseline", model)
    plain.prepare()
    assert plain.name == BASELINE
    assert plain.credentials.read_text() == BASELINE_CREDENTIALS == "rest:\n"
    command = plain.command(RASA)
    assert command[0].endswith("/rasa") and command[1] == "run"
    assert command[command.index("--model") + 1] == str(model)
    assert command[command.index("--credentials") + 1] == str(plain.credentials)
    assert command[command.index("--endpoints") + 1].endswith("endpoints.yml")
    assert "--enable-api" not in command
    assert plain.command(ACTIONS) == RelayStack(tmp_path, model, ports=plain.ports).command(
        ACTIONS
    )  # the same action server
    assert plain.headers == {}
    # The action server sees the conversation id Relay would give the same customer.
    assert plain.sender("bench-x") == "rest-bench-x"


def test_relays_memory_is_its_two_servers_and_its_logs_are_named(tmp_path: Path) -> None:
    relay = RelayStack(tmp_path / "relay", tmp_path / "relay.tar.gz")
    assert relay.roots() == []  # not started
    sleeping = [sys.executable, "-c", "import time; time.sleep(60)"]
    relay.processes = {server: subprocess.Popen(sleeping) for server in (ACTIONS, RASA)}
    try:
        assert relay.roots() == [
            (ACTIONS, relay.processes[ACTIONS].pid),
            (RASA, relay.processes[RASA].pid),
        ]
        assert relay.exited() == []
    finally:
        relay.stop()
    assert relay.exited() == [ACTIONS, RASA]
    assert relay.logs() == {ACTIONS: relay.log(ACTIONS), RASA: relay.log(RASA)}
