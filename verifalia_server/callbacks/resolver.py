"""The resolver of callback hosts: configured name servers (or the system resolver), and the address guard.

Callback hosts are looked up with the name servers of `VERIFALIA_CALLBACK_DNS_SERVERS`, by default those
of `VERIFALIA_DNS_SERVERS` (the engine's), and only when both are unset with the system resolver
(`getaddrinfo`, which also reads `/etc/hosts`). `localhost` names answer loopback without a query
(RFC 6761 §6.3), literal IP addresses are not looked up, and every address found must pass the private
address guard unless private destinations are allowed.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
from dataclasses import dataclass

import dns.asyncresolver
import dns.exception
import dns.nameserver
import dns.resolver
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from verifalia_server.engine.guard import PrivateAddressError, ensure_public
from verifalia_server.settings import Servers

_LOOPBACK = ("127.0.0.1", "::1")


@dataclass(frozen=True, slots=True)
class CallbackResolverConfig:
    """Where callback hosts are looked up, how long a lookup may take, and the address guard."""

    servers: Servers = ()
    timeout: float = 5.0
    allow_private: bool = False


def is_localhost(host: str) -> bool:
    """Whether `host` is a `localhost` name (RFC 6761 §6.3)."""
    name = host.lower().rstrip(".")
    return name == "localhost" or name.endswith(".localhost")


class CallbackResolver(AbstractResolver):
    """Resolve callback hosts as configured and refuse any address the guard refuses."""

    def __init__(self, config: CallbackResolverConfig) -> None:
        self._config = config
        self._system = ThreadedResolver()
        self._dns: dns.asyncresolver.Resolver | None = None
        if config.servers:
            resolver = dns.asyncresolver.Resolver(configure=False)
            resolver.nameservers = [dns.nameserver.Do53Nameserver(ip, port) for ip, port in config.servers]
            resolver.lifetime = config.timeout
            self._dns = resolver

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """The addresses of `host`; OSError when it has none, or one the guard refuses."""
        if _is_ip_literal(host):
            results = [_result(host, host, port)]
        elif is_localhost(host):
            results = [_result(host, address, port) for address in _LOOPBACK]
        elif self._dns is not None:
            results = [_result(host, address, port) for address in await self._lookup(host)]
        else:
            results = await self._system.resolve(host, port, family)
        for result in results:
            try:
                ensure_public(result["host"], self._config.allow_private)
            except PrivateAddressError as exc:
                raise OSError(errno.EACCES, f"{host} resolves to a refused address ({exc})") from None
        wanted = [result for result in results if family == socket.AF_UNSPEC or result["family"] == family]
        if not wanted:
            raise OSError(errno.ENOENT, f"{host} has no address of the requested family")
        return wanted

    async def _lookup(self, host: str) -> list[str]:
        """The A and AAAA addresses of `host` from the configured name servers, within the timeout."""
        if self._dns is None:
            raise RuntimeError("no name servers are configured")
        addresses: list[str] = []
        try:
            for rdtype in ("A", "AAAA"):
                try:
                    answer = await self._dns.resolve(host, rdtype, search=False)
                except dns.resolver.NoAnswer:
                    continue
                addresses.extend(record.to_text() for record in answer)
        except dns.resolver.NXDOMAIN:
            raise OSError(errno.ENOENT, f"{host} does not exist") from None
        except dns.exception.Timeout:
            raise OSError(errno.ETIMEDOUT, f"{host} could not be resolved in time") from None
        except dns.exception.DNSException as exc:
            raise OSError(errno.EIO, f"{host} could not be resolved: {exc}") from None
        if not addresses:
            raise OSError(errno.ENOENT, f"{host} has no address")
        return addresses

    async def close(self) -> None:
        """Release the system resolver's resources."""
        await self._system.close()


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _result(host: str, address: str, port: int) -> ResolveResult:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    return ResolveResult(
        hostname=host, host=address, port=port, family=family, proto=0, flags=socket.AI_NUMERICHOST
    )
