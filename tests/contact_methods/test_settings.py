"""The mail relay settings: `VERIFALIA_SMTP_RELAY` and its sender, read and checked at start-up."""

from __future__ import annotations

import pytest

from verifalia_server.environment import ConfigError
from verifalia_server.mail.config import RelayConfig
from verifalia_server.settings import NodeSettings


def test_no_relay_by_default() -> None:
    assert NodeSettings.from_env({}).mail == RelayConfig(None, 25, "verifalia@localhost", 10.0)


def test_a_relay_and_its_sender_are_read() -> None:
    environ = {
        "VERIFALIA_SMTP_RELAY": "[::1]:2525",
        "VERIFALIA_SMTP_RELAY_FROM": "alerts@example.test",
        "VERIFALIA_SMTP_RELAY_TIMEOUT": "3",
    }
    assert NodeSettings.from_env(environ).mail == RelayConfig("::1", 2525, "alerts@example.test", 3.0)
    relay = NodeSettings.from_env({"VERIFALIA_SMTP_RELAY": "relay.example.test:587"}).mail
    assert (relay.host, relay.port) == ("relay.example.test", 587)


@pytest.mark.parametrize(
    "raw", ["relay.example.test", ":25", "relay:0", "relay:70000", "relay:smtp", "[]:25"]
)
def test_a_malformed_relay_stops_the_node(raw: str) -> None:
    with pytest.raises(ConfigError, match="VERIFALIA_SMTP_RELAY"):
        NodeSettings.from_env({"VERIFALIA_SMTP_RELAY": raw})
