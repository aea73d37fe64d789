"""At most N concurrent requests per client IP on this node; the client IP honours trusted proxies."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from verifalia_server.settings import IPNetwork


class ConcurrencyLimiter:
    """Counts the requests in flight per client IP."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._in_flight: dict[str, int] = {}

    def try_acquire(self, client: str) -> bool:
        """Admit one more request from `client`, unless it already has `limit` in flight."""
        count = self._in_flight.get(client, 0)
        if count >= self.limit:
            return False
        self._in_flight[client] = count + 1
        return True

    def release(self, client: str) -> None:
        """Mark one request of `client` finished."""
        count = self._in_flight.get(client, 0) - 1
        if count > 0:
            self._in_flight[client] = count
        else:
            self._in_flight.pop(client, None)


def _is_trusted(address: str, trusted: Sequence[IPNetwork]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def client_address(peer: str | None, forwarded_for: str | None, trusted: Sequence[IPNetwork]) -> str:
    """The client IP: the peer, or behind trusted proxies the nearest untrusted X-Forwarded-For hop."""
    client = peer or "0.0.0.0"
    if not forwarded_for or not _is_trusted(client, trusted):
        return client
    # X-Forwarded-For lists hops left to right; walk back from the nearest one past our own proxies.
    for hop in reversed([part.strip() for part in forwarded_for.split(",") if part.strip()]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return client
        if not _is_trusted(hop, trusted):
            return hop
        client = hop
    return client
