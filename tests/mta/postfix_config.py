"""Postfix's main.cf, master.cf and lookup tables for a scenario, as text."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.mta.scenario import MailHost, Scenario

MY_HOSTNAME = "postfix.mta.mailfarm.net"
ANVIL_RATE_TIME_UNIT = "10s"
CATCH_ALL_MAILBOX = "catchall"

# Postfix's own services (no chroot), as in Debian's master.cf, minus the listeners and local delivery.
_SERVICES = """\
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
"""


@dataclass(frozen=True, slots=True)
class Layout:
    """Where one Postfix instance keeps its files, all under one base directory."""

    base: Path

    @property
    def config(self) -> Path:
        """The `-c` directory with main.cf, master.cf and the texthash tables."""
        return self.base / "config"

    @property
    def queue(self) -> Path:
        """`queue_directory`."""
        return self.base / "queue"

    @property
    def data(self) -> Path:
        """`data_directory`."""
        return self.base / "data"

    @property
    def mail(self) -> Path:
        """`virtual_mailbox_base` (nothing is ever delivered there)."""
        return self.base / "mail"

    @property
    def maillog(self) -> Path:
        """`maillog_file`: Postfix's own log."""
        return self.base / "maillog"

    @property
    def greylist(self) -> Path:
        """postgrey's database directory."""
        return self.base / "postgrey"


def main_cf(layout: Layout) -> str:
    """Global settings: loopback IPv4 only, no DNS, no trusted clients, virtual mailbox domains."""
    config = layout.config
    settings = {
        "compatibility_level": "3.6",
        "queue_directory": str(layout.queue),
        "data_directory": str(layout.data),
        "maillog_file": str(layout.maillog),
        "maillog_file_prefixes": str(layout.base),
        "inet_protocols": "ipv4",
        "inet_interfaces": "loopback-only",
        "myhostname": MY_HOSTNAME,
        "mydomain": "mta.mailfarm.net",
        "smtpd_banner": "$myhostname ESMTP Postfix",
        # the probing clients are outsiders, as on the Internet: nobody is trusted, nothing is relayed
        "mynetworks": "",
        "mydestination": "",
        "relay_domains": "",
        "alias_maps": "",
        "alias_database": "",
        "local_recipient_maps": "",
        # no DNS traffic at all: no reverse lookups of clients, no MX lookups of the SMTP client
        "smtpd_peername_lookup": "no",
        "smtp_dns_support_level": "disabled",
        "virtual_mailbox_domains": f"texthash:{config / 'domains'}",
        "virtual_mailbox_maps": f"texthash:{config / 'mailboxes'}",
        "virtual_alias_maps": f"texthash:{config / 'aliases'}",
        "virtual_mailbox_base": str(layout.mail),
        "anvil_rate_time_unit": ANVIL_RATE_TIME_UNIT,
        # The farm never delivers, so its queue manager hands out no flow-control tokens and every first
        # accepted RCPT of a transaction would wait in_flow_delay (1 s) for one; a server that delivers
        # mail, as every production Postfix does, has tokens and answers at once.
        "in_flow_delay": "0s",
        "biff": "no",
    }
    return "".join(f"{key} = {value}\n" for key, value in settings.items())


def _option(key: str, value: str) -> str:
    # master.cf(5): a value with white space goes in the "-o { name = value }" form
    return f"-o {{{key} = {value}}}" if any(space in value for space in " \t") else f"-o {key}={value}"


def _listener(host: MailHost, port: int, policy_port: int) -> str:
    options = [_option(key, value) for key, value in host.profile.overrides]
    if host.profile.greylist:
        restrictions = f"reject_unlisted_recipient, check_policy_service inet:127.0.0.1:{policy_port}"
        options.append(f"-o {{smtpd_recipient_restrictions = {restrictions}}}")
    options.append(f"-o syslog_name=postfix/{host.name}")
    lines = [f"{host.listener}:{port} inet n - n - - smtpd", *(f"  {option}" for option in options)]
    return "\n".join(lines) + "\n"


def master_cf(scenario: Scenario, port: int, policy_port: int) -> str:
    """One smtpd listener per host on `<listener address>:<port>`, then Postfix's own services."""
    return "".join(_listener(host, port, policy_port) for host in scenario.hosts) + _SERVICES


def domains_table(scenario: Scenario) -> str:
    """texthash `virtual_mailbox_domains`: every domain of the scenario."""
    return "".join(f"{domain.name} OK\n" for domain in scenario.domains)


def mailboxes_table(scenario: Scenario) -> str:
    """texthash `virtual_mailbox_maps`: every mailbox, and the catch-all target of catch-all domains."""
    lines: list[str] = []
    for domain in scenario.domains:
        local_parts = sorted(domain.mailboxes | ({CATCH_ALL_MAILBOX} if domain.catch_all else set()))
        lines.extend(f"{local}@{domain.name} {domain.name}/{local}/\n" for local in local_parts)
    return "".join(lines)


def aliases_table(scenario: Scenario) -> str:
    """texthash `virtual_alias_maps`: `@domain` catch-all aliases (a self-mapped target ends expansion)."""
    lines: list[str] = []
    for domain in scenario.domains:
        if domain.catch_all:
            target = f"{CATCH_ALL_MAILBOX}@{domain.name}"
            lines.append(f"{target} {target}\n@{domain.name} {target}\n")
    return "".join(lines)
