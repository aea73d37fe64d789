"""Mail routing by DNS: MX, null MX and implicit MX, through one shared TTL-honouring cache."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from enum import Enum

import dns.asyncresolver
import dns.exception
import dns.name
import dns.nameserver
import dns.rdtypes.ANY.MX
import dns.resolver

from verifalia_server.engine.config import EngineConfig
from verifalia_server.engine.guard import is_public_address
from verifalia_server.engine.stats import EngineStats
from verifalia_server.engine.statuses import Status
from verifalia_server.engine.verdict import Evidence


@dataclass(frozen=True, slots=True)
class MailExchanger:
    """One mail exchanger: its host name (A-labels, no final dot), preference and usable addresses."""

    name: str
    preference: int
    addresses: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MailRoute:
    """The exchangers to try for a domain, in the order to try them."""

    exchangers: tuple[MailExchanger, ...]

    @property
    def addresses(self) -> tuple[str, ...]:
        """Every exchanger address, in the order they are tried."""
        return tuple(address for exchanger in self.exchangers for address in exchanger.addresses)


@dataclass(frozen=True, slots=True)
class DnsFailure:
    """A domain whose mail cannot be routed, with the status and the query that decided it."""

    status: Status
    evidence: Evidence


_TRIES_PER_LIFETIME = 3


class _Lookup(Enum):
    """Why an address lookup for a host name produced no address."""

    MISSING = "no such host"
    TIMEOUT = "timeout"
    FAILURE = "server failure"


class MailResolver:
    """Resolves where a domain's mail goes; one instance (and one cache) per engine."""

    def __init__(self, config: EngineConfig, stats: EngineStats | None = None) -> None:
        self._stats = stats if stats is not None else EngineStats()
        self._allow_private = config.allow_private_mx
        resolver = dns.asyncresolver.Resolver(configure=not config.dns_servers)
        if config.dns_servers:
            resolver.nameservers = [
                dns.nameserver.Do53Nameserver(ip, port) for ip, port in config.dns_servers
            ]
        # A lost UDP datagram is retried within the lifetime instead of using it all up.
        resolver.timeout = config.dns_timeout / _TRIES_PER_LIFETIME
        resolver.lifetime = config.dns_timeout
        self._cache = dns.resolver.LRUCache(max(1, config.dns_cache_size))
        resolver.cache = self._cache
        self._resolver = resolver
        self._in_flight: dict[tuple[str, str], asyncio.Future[dns.resolver.Answer]] = {}

    async def route(self, domain: str) -> MailRoute | DnsFailure:
        """Return the mail route of an ASCII domain, or the DNS failure that prevents delivery."""
        query = f"MX {domain}"
        try:
            answer = await self._resolve(domain, "MX")
        except dns.resolver.NXDOMAIN:
            return _failure(Status.DOMAIN_DOES_NOT_EXIST, query, "NXDOMAIN")
        except dns.resolver.NoAnswer:
            # RFC 5321 §5.1: without MX records the domain itself is the implicit mail exchanger.
            return await self._implicit_route(domain)
        except dns.exception.Timeout:
            return _failure(Status.DNS_QUERY_TIMEOUT, query, "timeout")
        except dns.exception.DNSException as error:
            return _failure(Status.DNS_CONNECTION_FAILURE, query, str(error))
        records = [record for record in answer if isinstance(record, dns.rdtypes.ANY.MX.MX)]
        if len(records) == 1 and records[0].preference == 0 and records[0].exchange == dns.name.root:
            # RFC 7505 §3: a single MX with preference 0 and exchange "." means "accepts no mail".
            return _failure(Status.DOMAIN_HAS_NULL_MX, query, "0 .")
        records = [record for record in records if record.exchange != dns.name.root]
        if not records:
            return _failure(Status.DOMAIN_IS_MISCONFIGURED, query, "no usable MX record")
        names = [
            (record.preference, record.exchange.to_text(omit_final_dot=True).lower()) for record in records
        ]
        lookups = await asyncio.gather(*(self._addresses(name) for _, name in names))
        return self._usable_route(query, names, lookups)

    async def _implicit_route(self, domain: str) -> MailRoute | DnsFailure:
        query = f"A/AAAA {domain}"
        lookup = await self._addresses(domain)
        if lookup is _Lookup.TIMEOUT:
            return _failure(Status.DNS_QUERY_TIMEOUT, query, "timeout")
        if lookup is _Lookup.FAILURE:
            return _failure(Status.DNS_CONNECTION_FAILURE, query, "server failure")
        if lookup is _Lookup.MISSING:
            return _failure(Status.DOMAIN_IS_MISCONFIGURED, query, "no MX, A or AAAA record")
        usable = self._usable_addresses(lookup)
        if not usable:
            return _failure(Status.DOMAIN_IS_MISCONFIGURED, query, "resolves only to non-public addresses")
        return MailRoute((MailExchanger(domain, 0, usable),))

    def _usable_route(
        self,
        query: str,
        names: list[tuple[int, str]],
        lookups: list[tuple[str, ...] | _Lookup],
    ) -> MailRoute | DnsFailure:
        exchangers: list[MailExchanger] = []
        for (preference, name), lookup in zip(names, lookups, strict=True):
            if isinstance(lookup, tuple) and (usable := self._usable_addresses(lookup)):
                exchangers.append(MailExchanger(name, preference, usable))
        if exchangers:
            # RFC 5321 §5.1: lowest preference first; equal preferences in random order.
            random.shuffle(exchangers)
            exchangers.sort(key=lambda exchanger: exchanger.preference)
            return MailRoute(tuple(exchangers))
        if any(isinstance(lookup, tuple) for lookup in lookups):
            return _failure(
                Status.DOMAIN_IS_MISCONFIGURED, query, "MX hosts resolve only to non-public addresses"
            )
        if _Lookup.TIMEOUT in lookups:
            return _failure(Status.DNS_QUERY_TIMEOUT, query, "MX host address lookup timed out")
        if _Lookup.FAILURE in lookups:
            return _failure(Status.DNS_CONNECTION_FAILURE, query, "MX host address lookup failed")
        return _failure(Status.DOMAIN_IS_MISCONFIGURED, query, "MX hosts do not resolve")

    async def _resolve(self, name: str, rdtype: str) -> dns.resolver.Answer:
        """Resolve through the cache; concurrent lookups of the same question share one query."""
        key = (name, rdtype)
        pending = self._in_flight.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._resolver.resolve(name, rdtype, search=False))
            self._in_flight[key] = pending
            pending.add_done_callback(lambda done: self._settle(key, done))
        return await asyncio.shield(pending)

    def _settle(self, key: tuple[str, str], done: asyncio.Future[dns.resolver.Answer]) -> None:
        self._in_flight.pop(key, None)
        # Every lookup the cache could not answer went out as a query.
        self._stats.dns_queries = self._cache.misses()
        self._stats.dns_cache_hits = self._cache.hits()
        if not done.cancelled():
            done.exception()  # retrieved here so an unawaited failure is not reported as lost

    def _usable_addresses(self, addresses: tuple[str, ...]) -> tuple[str, ...]:
        if self._allow_private:
            return addresses
        return tuple(address for address in addresses if is_public_address(address))

    async def _addresses(self, name: str) -> tuple[str, ...] | _Lookup:
        """Return the IPv4 addresses of a host, or its IPv6 addresses when it has no IPv4 address."""
        for rdtype in ("A", "AAAA"):
            try:
                answer = await self._resolve(name, rdtype)
            except dns.resolver.NoAnswer:
                continue
            except dns.resolver.NXDOMAIN:
                return _Lookup.MISSING
            except dns.exception.Timeout:
                return _Lookup.TIMEOUT
            except dns.exception.DNSException:
                return _Lookup.FAILURE
            return tuple(record.to_text() for record in answer)
        return _Lookup.MISSING


def _failure(status: Status, query: str, text: str) -> DnsFailure:
    return DnsFailure(status, Evidence(command=query, reply_text=text))
