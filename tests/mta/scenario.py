"""What a farm serves: Postfix listener profiles, mail exchangers, domains, mailboxes, expected verdicts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tests.mailfarm.farm import CERTIFICATE_DIR
from verifalia_server.engine.statuses import Status

ZONE = "mta.mailfarm.net"
PUBLIC_NETWORK = "127.0.10"  # the MX addresses published in DNS, served by the latency relay
LISTENER_NETWORK = "127.0.11"  # the hidden Postfix listeners behind the relay
MAX_HOSTS = 254


@dataclass(frozen=True, slots=True)
class Profile:
    """How one Postfix listener behaves: its master.cf `-o` overrides and whether postgrey guards it."""

    name: str
    overrides: tuple[tuple[str, str], ...] = ()
    greylist: bool = False

    def override(self, parameter: str) -> str | None:
        """The value this profile sets for a main.cf `parameter`, if any."""
        return dict(self.overrides).get(parameter)


STOCK = Profile("stock")
GREYLISTING = Profile("greylisting", greylist=True)


def throttled(recipients: int = 20, connections: int = 30) -> Profile:
    """Anvil rate limits per client per `anvil_rate_time_unit`: RCPT commands and connections."""
    return Profile(
        "throttled",
        (
            ("smtpd_client_recipient_rate_limit", str(recipients)),
            ("smtpd_client_connection_rate_limit", str(connections)),
        ),
    )


def concurrency_limited(sessions: int) -> Profile:
    """At most `sessions` simultaneous connections per client."""
    return Profile("concurrency", (("smtpd_client_connection_count_limit", str(sessions)),))


def recipient_limited(recipients: int) -> Profile:
    """At most `recipients` RCPT accepted per message transaction."""
    return Profile("recipients", (("smtpd_recipient_limit", str(recipients)),))


def starttls(security_level: str = "may") -> Profile:
    """STARTTLS (RFC 3207) with the mail farm's self-signed certificate, each handshake logged.

    `may` offers it; `encrypt` requires it: MAIL FROM before the handshake answers
    530 5.7.0 "Must issue a STARTTLS command first" (RFC 3207 §4).
    """
    return Profile(
        f"tls-{security_level}",
        (
            ("smtpd_tls_security_level", security_level),
            ("smtpd_tls_cert_file", str(CERTIFICATE_DIR / "cert.pem")),
            ("smtpd_tls_key_file", str(CERTIFICATE_DIR / "key.pem")),
            ("smtpd_tls_loglevel", "1"),
        ),
    )


def sender_access(table: Path, *, delay_reject: bool = True) -> Profile:
    """MAIL FROM checked against the texthash access `table` (tests/mta/tables.py writes one); refused at
    RCPT TO, as Postfix does by default, or at MAIL FROM itself without `delay_reject`."""
    return Profile(
        "sender-access",
        (
            ("smtpd_sender_restrictions", f"check_sender_access texthash:{table}"),
            ("smtpd_delay_reject", "yes" if delay_reject else "no"),
        ),
    )


def client_access(table: Path, *, delay_reject: bool = True) -> Profile:
    """The client's address checked against the texthash access `table`; refused at RCPT TO, as Postfix
    does by default, or without `delay_reject` in the greeting (554 instead of 220, RFC 5321 §3.1)."""
    return Profile(
        "client-access",
        (
            ("smtpd_client_restrictions", f"check_client_access texthash:{table}"),
            ("smtpd_delay_reject", "yes" if delay_reject else "no"),
        ),
    )


def recipient_access(table: Path) -> Profile:
    """RCPT TO checked against the texthash access `table` before the virtual mailbox table."""
    restrictions = f"check_recipient_access texthash:{table}, reject_unlisted_recipient"
    return Profile("recipient-access", (("smtpd_recipient_restrictions", restrictions),))


def smtputf8(enabled: bool) -> Profile:
    """SMTPUTF8 (RFC 6531) advertised or not; when advertised, strictly: a UTF-8 address is taken only in
    a transaction whose MAIL FROM carried the SMTPUTF8 parameter (RFC 6531 §3.4)."""
    if enabled:
        return Profile("smtputf8", (("smtputf8_enable", "yes"), ("strict_smtputf8", "yes")))
    return Profile("ascii-only", (("smtputf8_enable", "no"),))


@dataclass(frozen=True, slots=True)
class MailHost:
    """One mail exchanger: its DNS name, its published address (the relay) and its Postfix listener."""

    name: str
    address: str
    listener: str
    profile: Profile


@dataclass(frozen=True, slots=True)
class MailDomain:
    """A virtual mailbox domain, its exchangers (names, in preference order) and its mailboxes."""

    name: str
    exchangers: tuple[str, ...]
    mailboxes: frozenset[str]
    catch_all: bool = False


@dataclass(frozen=True)
class Scenario:
    """The farm's hosts and domains, and the status a correct verifier gives each listed address."""

    name: str
    hosts: tuple[MailHost, ...]
    domains: tuple[MailDomain, ...]
    expected: Mapping[str, Status] = field(default_factory=dict)

    def host(self, name: str) -> MailHost:
        """The host whose DNS name is `name`."""
        return next(host for host in self.hosts if host.name == name)

    def domain(self, name: str) -> MailDomain:
        """The domain called `name`."""
        return next(domain for domain in self.domains if domain.name == name)

    def mx_addresses(self, domain: str) -> tuple[str, ...]:
        """The published addresses of a domain's exchangers, in preference order."""
        return tuple(self.host(name).address for name in self.domain(domain).exchangers)


class ScenarioBuilder:
    """Allocates addresses and collects hosts, domains and expected statuses into a `Scenario`."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._hosts: list[MailHost] = []
        self._domains: list[MailDomain] = []
        self._expected: dict[str, Status] = {}

    def add_host(self, label: str, profile: Profile) -> MailHost:
        """A new exchanger `<label>.<ZONE>` with the next free published and listener addresses."""
        number = len(self._hosts) + 1
        if number > MAX_HOSTS:
            raise ValueError(f"a scenario has at most {MAX_HOSTS} hosts")
        address, listener = f"{PUBLIC_NETWORK}.{number}", f"{LISTENER_NETWORK}.{number}"
        host = MailHost(f"{label}.{ZONE}", address, listener, profile)
        self._hosts.append(host)
        return host

    def add_domain(
        self, label: str, hosts: Iterable[MailHost], mailboxes: Iterable[str], *, catch_all: bool = False
    ) -> MailDomain:
        """A new domain `<label>.<ZONE>` served by `hosts` (first preferred) with `mailboxes`."""
        domain = MailDomain(
            f"{label}.{ZONE}", tuple(host.name for host in hosts), frozenset(mailboxes), catch_all
        )
        self._domains.append(domain)
        return domain

    def expect(self, domain: MailDomain, local_part: str) -> str:
        """List `local_part@domain` with the status its mailbox and the domain's catch-all imply."""
        address = f"{local_part}@{domain.name}"
        if domain.catch_all:
            self._expected[address] = Status.SERVER_IS_CATCH_ALL
        elif local_part in domain.mailboxes:
            self._expected[address] = Status.SUCCESS
        else:
            self._expected[address] = Status.MAILBOX_DOES_NOT_EXIST
        return address

    def build(self) -> Scenario:
        """The scenario collected so far."""
        return Scenario(self._name, tuple(self._hosts), tuple(self._domains), dict(self._expected))
