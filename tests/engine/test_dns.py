"""Mail routing through DNS against the farm's authoritative server, and the private-address guard."""

from __future__ import annotations

import pytest

from tests.mailfarm.farm import MailFarm
from verifalia_server.engine.config import EngineConfig
from verifalia_server.engine.dns import DnsFailure, MailExchanger, MailResolver, MailRoute
from verifalia_server.engine.guard import PrivateAddressError, ensure_public, is_public_address
from verifalia_server.engine.statuses import Status

FARM = "mailfarm.net"


def resolver(farm: MailFarm, **overrides: str) -> MailResolver:
    environ = farm.engine_environ() | {"VERIFALIA_DNS_TIMEOUT": "0.5"} | overrides
    return MailResolver(EngineConfig.from_env(environ))


async def test_mx_route(mail_farm: MailFarm) -> None:
    route = await resolver(mail_farm).route(f"postfix.{FARM}")

    assert route == MailRoute((MailExchanger(f"mx.postfix.{FARM}", 10, ("127.0.1.1",)),))


async def test_exchangers_come_in_preference_order(mail_farm: MailFarm) -> None:
    # RFC 5321 §5.1: lowest preference first.
    route = await resolver(mail_farm).route(f"multimx.{FARM}")

    assert isinstance(route, MailRoute)
    assert [(exchanger.name, exchanger.preference) for exchanger in route.exchangers] == [
        (f"mx1.multimx.{FARM}", 10),
        (f"mx2.multimx.{FARM}", 20),
    ]


async def test_domain_without_mx_is_its_own_implicit_exchanger(mail_farm: MailFarm) -> None:
    # RFC 5321 §5.1: no MX, but an address record: the domain itself is the mail exchanger.
    route = await resolver(mail_farm).route(f"aonly.{FARM}")

    assert route == MailRoute((MailExchanger(f"aonly.{FARM}", 0, ("127.0.1.22",)),))


async def test_idn_domain_resolves_in_a_labels(mail_farm: MailFarm) -> None:
    route = await resolver(mail_farm).route(f"xn--bcher-kva.{FARM}")

    assert isinstance(route, MailRoute)
    assert route.exchangers[0].name == f"mx.xn--bcher-kva.{FARM}"


@pytest.mark.parametrize(
    ("domain", "status", "text"),
    [
        (f"nullmx.{FARM}", Status.DOMAIN_HAS_NULL_MX, "0 ."),  # RFC 7505 §3
        (f"nonexistent.{FARM}", Status.DOMAIN_DOES_NOT_EXIST, "NXDOMAIN"),
        (f"badmx.{FARM}", Status.DOMAIN_IS_MISCONFIGURED, "MX hosts do not resolve"),
        (FARM, Status.DOMAIN_IS_MISCONFIGURED, "no MX, A or AAAA record"),
        (f"servfail.{FARM}", Status.DNS_CONNECTION_FAILURE, "SERVFAIL"),
        (f"timeout.{FARM}", Status.DNS_QUERY_TIMEOUT, "timeout"),
    ],
)
async def test_dns_failures(mail_farm: MailFarm, domain: str, status: Status, text: str) -> None:
    route = await resolver(mail_farm).route(domain)

    assert isinstance(route, DnsFailure)
    assert route.status is status
    assert route.evidence.command is not None
    assert route.evidence.command.endswith(domain)
    assert route.evidence.reply_text is not None
    assert text in route.evidence.reply_text


@pytest.mark.parametrize("domain", [f"privatemx.{FARM}", f"postfix.{FARM}", f"aonly.{FARM}"])
async def test_private_and_loopback_exchangers_are_refused_unless_allowed(
    mail_farm: MailFarm, domain: str
) -> None:
    refused = await resolver(mail_farm, VERIFALIA_ALLOW_PRIVATE_MX="0").route(domain)
    allowed = await resolver(mail_farm, VERIFALIA_ALLOW_PRIVATE_MX="1").route(domain)

    assert isinstance(refused, DnsFailure)
    assert refused.status is Status.DOMAIN_IS_MISCONFIGURED
    assert isinstance(allowed, MailRoute)


async def test_answers_are_served_from_the_bounded_cache() -> None:
    async with MailFarm() as farm:
        dns = resolver(farm, VERIFALIA_DNS_CACHE_SIZE="2")
        first = await dns.route(f"postfix.{FARM}")
        # MX and A of exim take both cache slots, evicting postfix's answers.
        second = await dns.route(f"exim.{FARM}")
    # The farm is gone: only cached answers can still be had.
    assert await dns.route(f"exim.{FARM}") == second
    evicted = await dns.route(f"postfix.{FARM}")

    assert isinstance(first, MailRoute)
    assert isinstance(evicted, DnsFailure)
    assert evicted.status in {Status.DNS_QUERY_TIMEOUT, Status.DNS_CONNECTION_FAILURE}


@pytest.mark.parametrize(
    ("ip", "public"),
    [
        ("93.184.215.14", True),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", True),
        ("127.0.0.1", False),  # RFC 1122 §3.2.1.3 loopback
        ("10.255.255.1", False),  # RFC 1918
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # RFC 3927 link-local (cloud metadata)
        ("100.64.0.1", False),  # RFC 6598 shared address space
        ("192.0.2.1", False),  # RFC 5737 documentation
        ("0.0.0.0", False),
        ("224.0.0.1", False),  # multicast
        ("240.0.0.1", False),  # reserved
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),  # RFC 4193 unique local
        ("::ffff:127.0.0.1", False),  # IPv4-mapped loopback
        ("::ffff:93.184.215.14", True),  # RFC 4291 §2.5.5.2 IPv4-mapped public
        ("::127.0.0.1", False),  # RFC 4291 §2.5.5.1 IPv4-compatible loopback
        ("::10.0.0.1", False),
        ("::93.184.215.14", True),
        ("2002:a00:1::1", False),  # RFC 3056 §2 6to4 of 10.0.0.1
        ("2002:7f00:1::1", False),  # 6to4 of 127.0.0.1
        ("2002:5db8:d70e::1", True),  # 6to4 of 93.184.215.14
        ("64:ff9b::a00:1", False),  # RFC 6052 §2.1 NAT64 of 10.0.0.1
        ("64:ff9b::a9fe:a9fe", False),  # NAT64 of 169.254.169.254
        ("64:ff9b::5db8:d70e", True),  # NAT64 of 93.184.215.14
        ("64:ff9b:1::a00:1", False),  # RFC 8215 §3 local-use NAT64 prefix
        ("64:ff9b:1::5db8:d70e", False),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False),  # RFC 4380 §4 Teredo
        ("2001:0:5db8:d70e:8000:63bf:a2ff:fffe", False),  # Teredo with public server and client
        ("fec0::1", False),  # RFC 3879 §4 deprecated site-local
        ("feff::1", False),
        ("not-an-ip", False),
    ],
)
def test_public_address_guard(ip: str, public: bool) -> None:
    assert is_public_address(ip) is public


def test_ensure_public() -> None:
    ensure_public("93.184.215.14", allow_private=False)
    ensure_public("127.0.0.1", allow_private=True)
    with pytest.raises(PrivateAddressError):
        ensure_public("127.0.0.1", allow_private=False)
    with pytest.raises(PrivateAddressError):
        ensure_public("localhost", allow_private=True)
