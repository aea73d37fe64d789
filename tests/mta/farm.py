"""The real-MTA farm: DNS, a latency relay, one Postfix instance with many listeners, and postgrey."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

from tests.mailfarm.farm import HELO_NAME, MAIL_FROM
from tests.mta.maillog import PostfixLog
from tests.mta.ports import common_free_port
from tests.mta.postfix import PostfixInstance
from tests.mta.postfix_config import Layout
from tests.mta.postgrey import POLICY_HOST, Postgrey
from tests.mta.relay import LatencyRelay, SessionStats
from tests.mta.scenario import MailHost, Scenario
from tests.mta.scenarios import small_scenario
from tests.mta.zone import DNS_IP, dns_server
from verifalia_server.engine.statuses import Status

GREYLIST_DELAY = 2


class MtaFarm:
    """Real Postfix mail exchangers for a scenario, reachable only through DNS and the relay on loopback.

    Use as `async with MtaFarm(scenario) as farm:`; `engine_environ()` tells an engine how to reach it.
    Needs root and Debian's postfix and postgrey packages (tests/install-packages.sh). `postfix_wrapper`
    prefixes the Postfix master's command line (a tracer, for instance).
    """

    def __init__(
        self,
        scenario: Scenario | None = None,
        *,
        latency: float = 0.0,
        greylist_delay: int = GREYLIST_DELAY,
        dns_port: int = 0,
        smtp_port: int = 0,
        postfix_wrapper: Sequence[str] = (),
    ) -> None:
        self._postfix_wrapper = tuple(postfix_wrapper)
        self.scenario = scenario or small_scenario()
        self._greylist_delay = greylist_delay
        self._dns_port = dns_port
        self._smtp_port = smtp_port
        self._dns = dns_server(self.scenario)
        self._relay = LatencyRelay({host.address: host.listener for host in self.scenario.hosts}, latency)
        self._directory: Path | None = None
        self._postfix: PostfixInstance | None = None
        self._postgrey: Postgrey | None = None

    async def __aenter__(self) -> MtaFarm:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def start(self) -> None:
        """Start DNS, postgrey (when a listener greylists), Postfix, then the relay in front of it."""
        if os.geteuid() != 0:
            raise PermissionError("the Postfix farm runs Postfix's master daemon, which needs root")
        self._directory = Path(tempfile.mkdtemp(prefix="mta-farm-"))
        self._directory.chmod(0o755)  # Postfix and postgrey drop root privileges
        layout = Layout(self._directory)
        try:
            await self._dns.start(self._dns_port)
            greylisting = any(host.profile.greylist for host in self.scenario.hosts)
            policy_port = common_free_port([POLICY_HOST]) if greylisting else 0
            listener_port = common_free_port(host.listener for host in self.scenario.hosts)
            self._postfix = PostfixInstance(layout, self.scenario, self._postfix_wrapper)
            self._postfix.configure(listener_port, policy_port)
            starting = [self._postfix.start()]
            if greylisting:
                self._postgrey = Postgrey(layout.greylist, policy_port, self._greylist_delay)
                starting.append(self._postgrey.start())
            for outcome in await asyncio.gather(*starting, return_exceptions=True):
                if isinstance(outcome, BaseException):
                    raise outcome
            await self._relay.start(self._smtp_port, listener_port)
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        """Stop everything and remove the farm's directory; no process is left behind."""
        await self._relay.close()
        if self._postfix is not None:
            await self._postfix.stop()
        if self._postgrey is not None:
            await self._postgrey.stop()
        await self._dns.close()
        if self._directory is not None:
            shutil.rmtree(self._directory, ignore_errors=True)
        self._directory = self._postfix = self._postgrey = None

    @property
    def postfix(self) -> PostfixInstance:
        """The running Postfix instance (its layout, `postconf`)."""
        if self._postfix is None:
            raise RuntimeError("the farm is not started")
        return self._postfix

    @property
    def log(self) -> PostfixLog:
        """Postfix's own log."""
        return PostfixLog(self.postfix.layout.maillog)

    @property
    def dns_server(self) -> tuple[str, int]:
        """Address and port of the DNS server (UDP and TCP)."""
        return DNS_IP, self._dns.port

    @property
    def smtp_port(self) -> int:
        """The port every published MX address listens on (the relay)."""
        return self._relay.port

    @property
    def listener_port(self) -> int:
        """The port of the hidden Postfix listeners."""
        return self._relay.upstream_port

    @property
    def expected(self) -> Mapping[str, Status]:
        """The status a correct verifier gives each listed address of the scenario, in order."""
        return self.scenario.expected

    @property
    def greylist_delay(self) -> int:
        """Seconds postgrey defers a new (client, sender, recipient) triplet."""
        return self._greylist_delay

    def engine_environ(self) -> dict[str, str]:
        """The `VERIFALIA_*` settings that point an engine at this farm."""
        host, port = self.dns_server
        return {
            "VERIFALIA_DNS_SERVERS": f"{host}:{port}",
            "VERIFALIA_DNS_TIMEOUT": "1",
            "VERIFALIA_SMTP_PORT": str(self.smtp_port),
            "VERIFALIA_ALLOW_PRIVATE_MX": "1",
            "VERIFALIA_HELO_NAME": HELO_NAME,
            "VERIFALIA_MAIL_FROM": MAIL_FROM,
        }

    @property
    def dns_queries(self) -> int:
        """DNS queries the farm's server has received so far."""
        return self._dns.zone.queries

    def set_latency(self, seconds: float) -> None:
        """Round-trip time the relay adds from now on (half on the way in, half on the way out)."""
        self._relay.latency = seconds

    def host(self, name: str) -> MailHost:
        """The mail exchanger whose DNS name is `name`."""
        return self.scenario.host(name)

    def mx_addresses(self, domain: str) -> tuple[str, ...]:
        """The published addresses of a domain's exchangers, in preference order."""
        return self.scenario.mx_addresses(domain)

    def session_stats(self) -> dict[str, SessionStats]:
        """A snapshot, per published MX address: sessions opened, open now, and the peak open at once."""
        return {address: dataclasses.replace(stats) for address, stats in self._relay.stats.items()}

    def sessions_opened(self, address: str) -> int:
        """How many sessions the MX at `address` has relayed."""
        return self._relay.stats[address].opened

    def peak_sessions(self, address: str) -> int:
        """The most sessions the MX at `address` had open at the same time."""
        return self._relay.stats[address].peak
