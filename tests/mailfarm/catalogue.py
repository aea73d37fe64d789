"""The farm's scenarios: every DNS name under `mailfarm.net` and every SMTP host behind it."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import idna

from tests.mailfarm.profiles import DEFAULT_MAILBOXES, Banner, Hello, HostProfile, Unanswered
from tests.mailfarm.styles import EXIM, GMAIL, MICROSOFT_365, POSTFIX, YAHOO

ZONE = "mailfarm.net"
NAME_SERVER = f"ns.{ZONE}"
DNS_IP = "127.0.0.1"
TARPIT_DELAY = 10.0
BENCH_DOMAINS = 100
BENCH_HOSTS = 20
BENCH_MAILBOXES = frozenset(f"user{number}" for number in range(1000))
ANSWERED_MAILBOXES = frozenset({"alice"})


class DnsFault(enum.Enum):
    """A name whose server misbehaves instead of answering."""

    SERVFAIL = "servfail"  # RFC 1035 §4.1.1 RCODE 2
    NO_REPLY = "no-reply"  # the query is dropped


@dataclass(frozen=True, slots=True)
class Exchanger:
    """One MX record: preference and exchange name ("." is a null MX, RFC 7505 §3)."""

    preference: int
    exchange: str


@dataclass(frozen=True, slots=True)
class DnsName:
    """A name in the zone with its MX and A records, or a fault for every query about it."""

    name: str
    mx: tuple[Exchanger, ...] = ()
    a: tuple[str, ...] = ()
    fault: DnsFault | None = None


@dataclass(slots=True)
class Catalogue:
    """DNS names and SMTP hosts (keyed by IP address) of the farm."""

    names: dict[str, DnsName] = field(default_factory=dict)
    hosts: dict[str, HostProfile] = field(default_factory=dict)
    unreachable: set[str] = field(default_factory=set)

    def add_name(self, entry: DnsName) -> None:
        """Add a DNS name; names are stored lower-case, IDNs as A-labels."""
        key = entry.name.lower()
        if key in self.names:
            raise ValueError(f"duplicate DNS name {key}")
        self.names[key] = entry

    def add_host(self, ip: str, profile: HostProfile) -> None:
        """Add an SMTP host listening on `ip`."""
        if ip in self.hosts or ip in self.unreachable:
            raise ValueError(f"duplicate host address {ip}")
        self.hosts[ip] = profile

    def add_mail_domain(self, domain: str, ip: str, profile: HostProfile) -> None:
        """A domain with one MX host, `mx.<domain>`, served by `profile` on `ip`."""
        exchange = f"mx.{domain}"
        self.add_name(DnsName(domain, mx=(Exchanger(10, exchange),)))
        self.add_name(DnsName(exchange, a=(ip,)))
        self.add_host(ip, profile)

    def host_name(self, ip: str) -> str:
        """The first DNS name whose A record points at `ip` (the host's greeting name)."""
        return next((entry.name for entry in self.names.values() if ip in entry.a), ip)

    def mx_ips(self, domain: str) -> tuple[str, ...]:
        """The addresses of the domain's exchangers in preference order, or of its implicit MX."""
        entry = self.names.get(idna.encode(domain, uts46=True).decode("ascii"))
        if entry is None:
            return ()
        if not entry.mx:
            return entry.a
        ips: list[str] = []
        for exchanger in sorted(entry.mx, key=lambda item: item.preference):
            target = self.names.get(exchanger.exchange.lower())
            if target is not None:
                ips.extend(target.a)
        return tuple(ips)


def _serving(profile: HostProfile, domains: Iterable[str]) -> HostProfile:
    return replace(profile, domains=frozenset(domain.lower() for domain in domains))


def _domain(label: str) -> str:
    return f"{label}.{ZONE}"


def _add_two_exchangers(catalogue: Catalogue, domain: str, primary_ip: str, secondary_ip: str) -> None:
    """`domain` with MX 10 `mx1.<domain>` at `primary_ip` and MX 20 `mx2.<domain>` at `secondary_ip`."""
    catalogue.add_name(DnsName(domain, mx=(Exchanger(10, f"mx1.{domain}"), Exchanger(20, f"mx2.{domain}"))))
    catalogue.add_name(DnsName(f"mx1.{domain}", a=(primary_ip,)))
    catalogue.add_name(DnsName(f"mx2.{domain}", a=(secondary_ip,)))


def build_catalogue() -> Catalogue:
    """Every scenario of the farm."""
    catalogue = Catalogue()
    catalogue.add_name(DnsName(ZONE))
    catalogue.add_name(DnsName(NAME_SERVER, a=(DNS_IP,)))

    simple: list[tuple[str, str, HostProfile]] = [
        ("postfix", "127.0.1.1", HostProfile(POSTFIX)),
        ("exim", "127.0.1.2", HostProfile(EXIM)),
        ("gmail", "127.0.1.3", HostProfile(GMAIL)),
        ("m365", "127.0.1.4", HostProfile(MICROSOFT_365)),
        ("yahoo", "127.0.1.5", HostProfile(YAHOO)),
        ("catchall", "127.0.1.6", HostProfile(POSTFIX, catch_all=True)),
        ("greylist", "127.0.1.7", HostProfile(POSTFIX, greylist=True)),
        (
            "full",
            "127.0.1.8",
            HostProfile(POSTFIX, mailboxes=frozenset({"alice", "full"}), full_mailboxes=frozenset({"full"})),
        ),
        ("toomany", "127.0.1.9", HostProfile(POSTFIX, max_recipients=3)),
        ("banner421", "127.0.1.10", HostProfile(POSTFIX, banner=Banner.REFUSE)),
        ("tarpit", "127.0.1.11", HostProfile(POSTFIX, banner=Banner.DELAYED, banner_delay=TARPIT_DELAY)),
        ("silent", "127.0.1.12", HostProfile(POSTFIX, banner=Banner.SILENT)),
        ("garbage", "127.0.1.13", HostProfile(POSTFIX, hello=Hello.GARBAGE)),
        ("dropafter5xx", "127.0.1.14", HostProfile(POSTFIX, closes_after_rejection=True)),
        ("blocklisted", "127.0.1.15", HostProfile(POSTFIX, blocklisted=True)),
        ("senderrejected", "127.0.1.16", HostProfile(POSTFIX, rejects_sender=True)),
        ("starttls", "127.0.1.17", HostProfile(POSTFIX, starttls=True)),
        ("noutf8", "127.0.1.18", HostProfile(POSTFIX, smtputf8=False)),
        ("utf8", "127.0.1.19", HostProfile(POSTFIX, smtputf8=True, mailboxes=DEFAULT_MAILBOXES | {"josé"})),
        ("heloonly", "127.0.1.20", HostProfile(POSTFIX, hello=Hello.HELO_ONLY, smtputf8=False)),
        (
            "dropbeforereply",
            "127.0.1.24",
            HostProfile(POSTFIX, unanswered=Unanswered.DROP, answered_mailboxes=ANSWERED_MAILBOXES),
        ),
        (
            "hangonrcpt",
            "127.0.1.25",
            HostProfile(POSTFIX, unanswered=Unanswered.HANG, answered_mailboxes=ANSWERED_MAILBOXES),
        ),
    ]
    for label, ip, profile in simple:
        domain = _domain(label)
        catalogue.add_mail_domain(domain, ip, _serving(profile, [domain]))

    refused = "127.0.3.1"
    catalogue.unreachable.add(refused)
    catalogue.add_name(DnsName(_domain("refused"), mx=(Exchanger(10, _domain("mx.refused")),)))
    catalogue.add_name(DnsName(_domain("mx.refused"), a=(refused,)))

    multimx = _domain("multimx")
    dead_primary = "127.0.3.2"
    catalogue.unreachable.add(dead_primary)
    _add_two_exchangers(catalogue, multimx, dead_primary, "127.0.1.21")
    catalogue.add_host("127.0.1.21", _serving(HostProfile(POSTFIX), [multimx]))

    # a primary that turns the client away for now (RFC 5321 §4.2.1 4yz), a working Postfix behind it
    busy_primaries = [
        ("fallback421", "127.0.1.26", "127.0.1.27", HostProfile(POSTFIX, banner=Banner.REFUSE)),
        ("fallback451", "127.0.1.28", "127.0.1.29", HostProfile(POSTFIX, defers_sender=True)),
    ]
    for label, primary_ip, secondary_ip, primary in busy_primaries:
        domain = _domain(label)
        _add_two_exchangers(catalogue, domain, primary_ip, secondary_ip)
        catalogue.add_host(primary_ip, _serving(primary, [domain]))
        catalogue.add_host(secondary_ip, _serving(HostProfile(POSTFIX), [domain]))

    catalogue.add_name(DnsName(_domain("nullmx"), mx=(Exchanger(0, "."),)))

    aonly = _domain("aonly")
    catalogue.add_name(DnsName(aonly, a=("127.0.1.22",)))
    catalogue.add_host("127.0.1.22", _serving(HostProfile(POSTFIX), [aonly]))

    catalogue.add_name(DnsName(_domain("badmx"), mx=(Exchanger(10, _domain("mx.nowhere")),)))
    catalogue.add_name(DnsName(_domain("servfail"), fault=DnsFault.SERVFAIL))
    catalogue.add_name(DnsName(_domain("timeout"), fault=DnsFault.NO_REPLY))

    # a non-public exchanger kept on loopback, where nothing listens, so no traffic ever leaves the machine
    privatemx = _domain("privatemx")
    private_exchanger = "127.0.3.3"
    catalogue.unreachable.add(private_exchanger)
    catalogue.add_name(DnsName(privatemx, mx=(Exchanger(10, f"mx.{privatemx}"),)))
    catalogue.add_name(DnsName(f"mx.{privatemx}", a=(private_exchanger,)))

    idn_ascii, idn_unicode = _domain("xn--bcher-kva"), _domain("bücher")
    catalogue.add_mail_domain(
        idn_ascii, "127.0.1.23", _serving(HostProfile(POSTFIX), [idn_ascii, idn_unicode])
    )

    bench_domains: dict[str, list[str]] = {}
    for number in range(BENCH_DOMAINS):
        domain = _domain(f"bench-{number:03d}")
        ip = f"127.0.2.{number % BENCH_HOSTS + 1}"
        bench_domains.setdefault(ip, []).append(domain)
        catalogue.add_name(DnsName(domain, mx=(Exchanger(10, f"mx.{domain}"),)))
        catalogue.add_name(DnsName(f"mx.{domain}", a=(ip,)))
    for ip, domains in bench_domains.items():
        catalogue.add_host(ip, _serving(HostProfile(POSTFIX, mailboxes=BENCH_MAILBOXES), domains))
    return catalogue
