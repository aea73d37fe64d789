"""The test mail farm: the `mailfarm.net` DNS zone and its SMTP hosts, all on loopback."""

from __future__ import annotations

import asyncio
import socket
import ssl
from pathlib import Path
from types import TracebackType

from tests.mailfarm.catalogue import DNS_IP, Catalogue, build_catalogue
from tests.mailfarm.connections import ConnectionTracker, StreamHandler
from tests.mailfarm.dns_server import DnsServer, Zone
from tests.mailfarm.profiles import HostProfile
from tests.mailfarm.smtp_session import SmtpSession
from tests.mailfarm.state import FarmState

CERTIFICATE_DIR = Path(__file__).parent / "certs"
HELO_NAME = "verifier.mailfarm.net"
MAIL_FROM = f"probe@{HELO_NAME}"
_SMTP_LINE_BUFFER = 4096
_BIND_ATTEMPTS = 20


def _tls_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(CERTIFICATE_DIR / "cert.pem", CERTIFICATE_DIR / "key.pem")
    return context


class MailFarm:
    """Authoritative DNS for `mailfarm.net` plus SMTP hosts on 127.0.x.y, all sharing one SMTP port.

    Use as `async with MailFarm() as farm:`; `engine_environ()` tells an engine how to reach it.
    """

    def __init__(
        self, latency: float = 0.0, *, greylist_delay: float = 0.5, dns_port: int = 0, smtp_port: int = 0
    ) -> None:
        self.catalogue: Catalogue = build_catalogue()
        self._state = FarmState(latency=latency, greylist_delay=greylist_delay)
        self._dns = DnsServer(Zone(self.catalogue), DNS_IP)
        self._requested_dns_port = dns_port
        self._requested_smtp_port = smtp_port
        self._smtp_port = 0
        self._servers: list[asyncio.Server] = []
        self._reserved: list[socket.socket] = []
        self._connections = ConnectionTracker()
        self._tls_context = _tls_context()

    async def __aenter__(self) -> MailFarm:
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
        """Start the DNS server and every SMTP host."""
        await self._dns.start(self._requested_dns_port)
        try:
            await self._start_smtp()
        except BaseException:
            await self.close()
            raise

    async def _start_smtp(self) -> None:
        for _ in range(_BIND_ATTEMPTS):
            self._connections = ConnectionTracker()
            try:
                await self._bind_all(self._requested_smtp_port)
                return
            except OSError:
                await self._unbind_all()
                if self._requested_smtp_port:
                    raise
        raise OSError("no port free on every SMTP host address")

    async def _bind_all(self, port: int) -> None:
        ips = sorted(self.catalogue.hosts, key=socket.inet_aton)
        for ip in ips:
            server = await asyncio.start_server(
                self._connections.track(self._session_handler(ip, self.catalogue.hosts[ip])),
                ip,
                port,
                limit=_SMTP_LINE_BUFFER,
            )
            self._servers.append(server)
            port = port or server.sockets[0].getsockname()[1]
        for ip in sorted(self.catalogue.unreachable):
            # bound but not listening: connections are refused and no other listener can take the address
            reserved = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self._reserved.append(reserved)
            reserved.bind((ip, port))
        self._smtp_port = port

    async def _unbind_all(self) -> None:
        for server in self._servers:
            server.close()
        await self._connections.close()
        for server in self._servers:
            await server.wait_closed()
        for reserved in self._reserved:
            reserved.close()
        self._servers.clear()
        self._reserved.clear()
        self._smtp_port = 0

    def _session_handler(self, ip: str, profile: HostProfile) -> StreamHandler:
        host_name = self.catalogue.host_name(ip)

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            session = SmtpSession(
                profile=profile,
                host_name=host_name,
                host_ip=ip,
                state=self._state,
                tls_context=self._tls_context if profile.starttls else None,
                reader=reader,
                writer=writer,
            )
            await session.run()

        return serve

    async def close(self) -> None:
        """Stop every server and end open connections."""
        await self._unbind_all()
        await self._dns.close()

    @property
    def dns_server(self) -> tuple[str, int]:
        """Address and port of the DNS server (UDP and TCP)."""
        return DNS_IP, self._dns.port

    @property
    def smtp_port(self) -> int:
        """The TCP port every SMTP host listens on."""
        return self._smtp_port

    def engine_environ(self) -> dict[str, str]:
        """The `VERIFALIA_*` settings that point an engine at this farm with short timeouts and delays."""
        host, port = self.dns_server
        return {
            "VERIFALIA_DNS_SERVERS": f"{host}:{port}",
            "VERIFALIA_DNS_TIMEOUT": "1",
            "VERIFALIA_SMTP_PORT": str(self._smtp_port),
            "VERIFALIA_ALLOW_PRIVATE_MX": "1",
            "VERIFALIA_HELO_NAME": HELO_NAME,
            "VERIFALIA_MAIL_FROM": MAIL_FROM,
            "VERIFALIA_SMTP_CONNECT_TIMEOUT": "1",
            "VERIFALIA_SMTP_COMMAND_TIMEOUT": "2",
            "VERIFALIA_RETRY_DELAYS_STANDARD": "0.2",
            "VERIFALIA_RETRY_DELAYS_HIGH": "0.2,0.2,0.5",
            "VERIFALIA_RETRY_DELAYS_EXTREME": "0.2,0.2,0.5,0.5",
        }

    def set_latency(self, seconds: float) -> None:
        """Delay every SMTP reply (banner included) by `seconds` from now on."""
        self._state.latency = seconds

    def set_greylist_delay(self, seconds: float) -> None:
        """How long after its first attempt a greylisted (client, recipient) pair is accepted."""
        self._state.greylist_delay = seconds

    def sessions_opened(self, host_ip: str) -> int:
        """How many SMTP connections the host at `host_ip` has accepted."""
        return self._state.sessions[host_ip]

    def peak_sessions(self, host_ip: str) -> int:
        """The most SMTP connections the host at `host_ip` has served at the same time."""
        return self._state.peak_sessions[host_ip]

    def clients(self, host_ip: str) -> list[str]:
        """The address each SMTP connection to the host at `host_ip` came from, in order."""
        return list(self._state.clients.get(host_ip, []))

    def transcript(self, host_ip: str) -> list[str]:
        """Every command line the host at `host_ip` received, in order, across its sessions."""
        return list(self._state.transcripts.get(host_ip, []))

    def mx_ips(self, domain: str) -> tuple[str, ...]:
        """Addresses of a farm domain's mail hosts in preference order (implicit MX for A-only domains)."""
        return self.catalogue.mx_ips(domain)
