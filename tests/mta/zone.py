"""The DNS records of a scenario (domain -> MX -> published address), served by the mail farm's server."""

from __future__ import annotations

from tests.mailfarm.catalogue import NAME_SERVER, ZONE, Catalogue, DnsName, Exchanger
from tests.mailfarm.dns_server import DnsServer, Zone
from tests.mta.scenario import Scenario

DNS_IP = "127.0.0.1"
_PREFERENCE_STEP = 10


def catalogue(scenario: Scenario) -> Catalogue:
    """Each domain with MX records to its exchangers (10, 20, ...), each exchanger with its A record."""
    names = Catalogue()
    names.add_name(DnsName(ZONE))
    names.add_name(DnsName(NAME_SERVER, a=(DNS_IP,)))
    for host in scenario.hosts:
        names.add_name(DnsName(host.name, a=(host.address,)))
    for domain in scenario.domains:
        exchangers = tuple(
            Exchanger(_PREFERENCE_STEP * rank, name) for rank, name in enumerate(domain.exchangers, 1)
        )
        names.add_name(DnsName(domain.name, mx=exchangers))
    return names


def dns_server(scenario: Scenario) -> DnsServer:
    """An authoritative server for the scenario's names, on `DNS_IP` (port chosen at start)."""
    return DnsServer(Zone(catalogue(scenario)), DNS_IP)
