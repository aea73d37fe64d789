"""Run py3-validate-email over a list, as its users do: one SMTP session per address, many threads.

Runs inside the peer's own virtualenv (see `bench/postfix.py`), pointed at the farm: its DNS server for
every lookup (MX and the exchangers' addresses, so nothing leaves loopback) and the farm's SMTP port.
Prints one JSON object: {"seconds": ..., "results": {address: true|false|null}}.

Usage: python peer_validate_email.py DNS_IP DNS_PORT SMTP_PORT THREADS HELO MAIL_FROM < addresses
"""

from __future__ import annotations

import json
import os
import smtplib
import socket
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import dns.resolver

os.environ["PY3VE_IGNORE_UPDATER"] = "1"

# The updater switch above must be set before the import; the package lives only in the peer's venv.
from validate_email import validate_email  # type: ignore[import-not-found]


def point_at_farm(dns_ip: str, dns_port: int, smtp_port: int) -> None:
    """Route the peer's DNS and SMTP to the farm, as a host whose resolver and port 25 were the farm's."""
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [dns_ip]
    resolver.port = dns_port
    dns.resolver.default_resolver = resolver
    smtplib.SMTP.default_port = smtp_port
    system_getaddrinfo = socket.getaddrinfo

    def farm_getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            socket.inet_aton(host)
        except (OSError, TypeError):
            host = resolver.resolve(host, "A")[0].address
        return system_getaddrinfo(host, port, *args, **kwargs)

    socket.getaddrinfo = farm_getaddrinfo


def main() -> None:
    dns_ip, dns_port, smtp_port, threads, helo, mail_from = sys.argv[1:7]
    point_at_farm(dns_ip, int(dns_port), int(smtp_port))
    addresses = [line.strip() for line in sys.stdin if line.strip()]

    def check(address: str) -> bool | None:
        result: bool | None = validate_email(
            email_address=address,
            check_blacklist=False,
            smtp_helo_host=helo,
            smtp_from_address=mail_from,
            smtp_timeout=30,
            dns_timeout=10,
        )
        return result

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=int(threads)) as pool:
        results = dict(zip(addresses, pool.map(check, addresses), strict=True))
    print(json.dumps({"seconds": time.perf_counter() - started, "results": results}))


if __name__ == "__main__":
    main()
