"""Relay's databases with Maya's and Tom's data (tests/support/relay_data.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.relay_data import Relay, relay_databases, two_customers


@pytest.fixture
def relay(tmp_path) -> Iterator[Relay]:
    relay = relay_databases(tmp_path)
    two_customers(relay)
    yield relay
    relay.close()
