"""The SMTP relay a node hands its notification mail to, and the sender it writes as."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_SENDER = "verifalia@localhost"
DEFAULT_RELAY_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class RelayConfig:
    """Where the relay listens (`host` None: no relay configured), the envelope and header sender, and the
    seconds one delivery to the relay may take."""

    host: str | None = None
    port: int = 25
    sender: str = DEFAULT_SENDER
    timeout: float = DEFAULT_RELAY_TIMEOUT


def parse_relay(raw: str) -> tuple[str, int]:
    """`host:port` (an IPv6 host in brackets) as its host and port; ValueError when malformed."""
    host, colon, port = raw.strip().rpartition(":")
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"expected host:port, got {raw!r}")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not host or any(character in host for character in "[]/ "):
        raise ValueError(f"expected host:port, got {raw!r}")
    return host, int(port)
