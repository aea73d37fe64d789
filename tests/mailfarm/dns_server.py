"""An authoritative DNS server for the `mailfarm.net` zone, on UDP and TCP of one loopback port."""

from __future__ import annotations

import asyncio
import struct
from typing import cast

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from tests.mailfarm.catalogue import NAME_SERVER, ZONE, Catalogue, DnsFault
from tests.mailfarm.connections import ConnectionTracker

TTL = 300
_TCP_LENGTH = struct.Struct("!H")  # RFC 1035 §4.2.2: two-octet length prefix on TCP


class Zone:
    """The records of the zone and the answer to any query about it."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.origin = dns.name.from_text(ZONE)
        # Queries received on UDP and TCP, answered or not.
        self.queries = 0
        self._records: dict[dns.name.Name, dict[dns.rdatatype.RdataType, list[dns.rdata.Rdata]]] = {}
        self._faults: dict[dns.name.Name, DnsFault] = {}
        self._existing: set[dns.name.Name] = set()
        self._soa = self._rdata(
            dns.rdatatype.SOA, f"{NAME_SERVER}. hostmaster.{ZONE}. 1 3600 600 86400 {TTL}"
        )
        self._add(self.origin, dns.rdatatype.SOA, self._soa)
        self._add(self.origin, dns.rdatatype.NS, self._rdata(dns.rdatatype.NS, f"{NAME_SERVER}."))
        for entry in catalogue.names.values():
            name = dns.name.from_text(entry.name)
            self._mark_existing(name)
            if entry.fault is not None:
                self._faults[name] = entry.fault
            for exchanger in entry.mx:
                exchange = "." if exchanger.exchange == "." else f"{exchanger.exchange}."
                self._add(
                    name,
                    dns.rdatatype.MX,
                    self._rdata(dns.rdatatype.MX, f"{exchanger.preference} {exchange}"),
                )
            for address in entry.a:
                self._add(name, dns.rdatatype.A, self._rdata(dns.rdatatype.A, address))

    @staticmethod
    def _rdata(rdtype: dns.rdatatype.RdataType, text: str) -> dns.rdata.Rdata:
        return dns.rdata.from_text(dns.rdataclass.IN, rdtype, text)

    def _add(self, name: dns.name.Name, rdtype: dns.rdatatype.RdataType, rdata: dns.rdata.Rdata) -> None:
        self._mark_existing(name)
        self._records.setdefault(name, {}).setdefault(rdtype, []).append(rdata)

    def _mark_existing(self, name: dns.name.Name) -> None:
        # RFC 8020 §2: a name with descendants exists (empty non-terminal), so ancestors answer NODATA
        while name.is_subdomain(self.origin):
            self._existing.add(name)
            if name == self.origin:
                break
            name = name.parent()

    def _fault(self, name: dns.name.Name) -> DnsFault | None:
        for faulty, fault in self._faults.items():
            if name.is_subdomain(faulty):
                return fault
        return None

    def respond(self, query: dns.message.Message) -> dns.message.Message | None:
        """The response to `query`, or None when the scenario is not to answer at all."""
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        if query.opcode() != dns.opcode.QUERY:
            response.set_rcode(dns.rcode.NOTIMP)  # RFC 1035 §4.1.1: only standard queries
            return response
        if len(query.question) != 1:
            response.set_rcode(dns.rcode.FORMERR)
            return response
        question = query.question[0]
        # RFC 4343 §3: dns.name.Name compares and hashes case-insensitively
        qname, rdtype = question.name, question.rdtype
        fault = self._fault(qname)
        if fault is DnsFault.NO_REPLY:
            return None
        if fault is DnsFault.SERVFAIL:
            response.set_rcode(dns.rcode.SERVFAIL)
            return response
        if question.rdclass != dns.rdataclass.IN:
            response.set_rcode(dns.rcode.REFUSED)
            return response
        rdatas = self._records.get(qname, {}).get(rdtype)
        if rdatas:
            response.answer.append(dns.rrset.from_rdata_list(qname, TTL, rdatas))
            return response
        if qname not in self._existing:
            response.set_rcode(dns.rcode.NXDOMAIN)
        if qname.is_subdomain(self.origin):
            # RFC 2308 §3: negative answers carry the zone's SOA in the authority section
            response.authority.append(dns.rrset.from_rdata_list(self.origin, TTL, [self._soa]))
        return response

    def respond_wire(self, wire: bytes) -> bytes | None:
        """Answer a query in wire format; malformed queries get no answer.

        Every answer of the zone fits in 512 octets, so UDP never needs truncation (RFC 1035 §4.2.1).
        """
        self.queries += 1
        try:
            query = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            return None
        response = self.respond(query)
        return None if response is None else response.to_wire()


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, zone: Zone) -> None:
        self._zone = zone
        self._transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        answer = self._zone.respond_wire(data)
        if answer is not None and self._transport is not None:
            self._transport.sendto(answer, addr)


class DnsServer:
    """The zone served on UDP and TCP of the same port on one loopback address."""

    def __init__(self, zone: Zone, host: str) -> None:
        self._zone = zone
        self.zone = zone
        self._host = host
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.Server | None = None
        self._connections = ConnectionTracker()
        self.port = 0

    async def start(self, port: int = 0, attempts: int = 20) -> None:
        """Bind UDP (a free port unless `port` is given), then TCP on the same port."""
        loop = asyncio.get_running_loop()
        for _ in range(attempts):
            udp, _protocol = await loop.create_datagram_endpoint(
                lambda: _UdpProtocol(self._zone), local_addr=(self._host, port)
            )
            bound_port: int = udp.get_extra_info("sockname")[1]
            try:
                self._tcp = await asyncio.start_server(
                    self._connections.track(self._serve_tcp), self._host, bound_port
                )
            except OSError:
                udp.close()
                if port:
                    raise
                continue
            self._udp, self.port = udp, bound_port
            return
        raise OSError(f"no free port for UDP and TCP together on {self._host}")

    async def _serve_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            (length,) = _TCP_LENGTH.unpack(await reader.readexactly(_TCP_LENGTH.size))
            answer = self._zone.respond_wire(await reader.readexactly(length))
            if answer is not None:
                writer.write(_TCP_LENGTH.pack(len(answer)) + answer)
                await writer.drain()

    async def close(self) -> None:
        """Stop listening and end open TCP connections."""
        if self._udp is not None:
            self._udp.close()
        if self._tcp is not None:
            self._tcp.close()
            await self._connections.close()
            await self._tcp.wait_closed()
