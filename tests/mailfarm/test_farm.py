"""The mail farm itself: DNS answers over real UDP/TCP and SMTP dialogues over real loopback sockets."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import ssl
import time
from collections.abc import AsyncIterator

import dns.asyncquery
import dns.asyncresolver
import dns.exception
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.resolver
import pytest

from tests.mailfarm import MailFarm
from tests.mailfarm.catalogue import build_catalogue

READ_TIMEOUT = 2.0
PROBE_MAIL_FROM = "MAIL FROM:<probe@client.example>"


class SmtpClient:
    """A minimal SMTP client on raw asyncio streams that returns each reply's lines."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def connect(cls, host: str, port: int) -> SmtpClient:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer)

    async def reply(self) -> list[str]:
        lines: list[str] = []
        while True:
            raw = await asyncio.wait_for(self.reader.readline(), READ_TIMEOUT)
            if not raw:
                return lines
            line = raw.decode("utf-8").rstrip("\r\n")
            lines.append(line)
            if line[3:4] != "-":
                return lines

    async def command(self, line: str) -> list[str]:
        self.writer.write(line.encode("utf-8") + b"\r\n")
        await self.writer.drain()
        return await self.reply()

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


@contextlib.asynccontextmanager
async def _connected(farm: MailFarm, ip: str) -> AsyncIterator[SmtpClient]:
    client = await SmtpClient.connect(ip, farm.smtp_port)
    try:
        yield client
    finally:
        await client.close()


@contextlib.asynccontextmanager
async def _open_transaction(farm: MailFarm, ip: str) -> AsyncIterator[SmtpClient]:
    """A client past the banner, EHLO and MAIL FROM, ready for RCPT."""
    async with _connected(farm, ip) as client:
        await client.reply()
        await client.command("EHLO client.example")
        await client.command(PROBE_MAIL_FROM)
        yield client


async def _session(farm: MailFarm, ip: str, *commands: str) -> list[list[str]]:
    async with _connected(farm, ip) as client:
        replies = [await client.reply()]
        for command in commands:
            replies.append(await client.command(command))
        return replies


async def _transaction(
    farm: MailFarm, ip: str, *recipients: str, mail_from: str = PROBE_MAIL_FROM
) -> list[list[str]]:
    """The replies to a session of EHLO, `mail_from` and one RCPT TO per recipient."""
    rcpts = [f"RCPT TO:<{recipient}>" for recipient in recipients]
    return await _session(farm, ip, "EHLO client.example", mail_from, *rcpts)


def _trusting_tls_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the farm's certificate is self-signed
    return context


def _resolver(farm: MailFarm, timeout: float = 1.0) -> dns.asyncresolver.Resolver:
    resolver = dns.asyncresolver.Resolver(configure=False)
    host, port = farm.dns_server
    resolver.nameservers = [host]
    resolver.port = port
    resolver.lifetime = timeout
    resolver.timeout = timeout
    return resolver


def _exchangers(answer: dns.resolver.Answer) -> list[tuple[int, str]]:
    """An MX answer's (preference, exchange) pairs, most preferred first."""
    return sorted((record.preference, record.exchange.to_text()) for record in answer)


async def _query(farm: MailFarm, name: str, rdtype: str, *, tcp: bool = False) -> dns.message.Message:
    host, port = farm.dns_server
    query = dns.message.make_query(name, rdtype)
    if tcp:
        return await dns.asyncquery.tcp(query, host, port=port, timeout=1.0)
    return await dns.asyncquery.udp(query, host, port=port, timeout=1.0)


# --- DNS ---


async def test_mx_records_come_in_preference_order_with_addresses(mail_farm: MailFarm) -> None:
    resolver = _resolver(mail_farm)
    answer = await resolver.resolve("multimx.mailfarm.net", "MX")
    assert _exchangers(answer) == [(10, "mx1.multimx.mailfarm.net."), (20, "mx2.multimx.mailfarm.net.")]
    assert answer.rrset is not None
    assert answer.rrset.ttl == 300
    primary = await resolver.resolve("mx1.multimx.mailfarm.net", "A")
    backup = await resolver.resolve("mx2.multimx.mailfarm.net", "A")
    assert [record.address for record in primary] == ["127.0.3.2"]
    assert [record.address for record in backup] == ["127.0.1.21"]
    assert mail_farm.mx_ips("multimx.mailfarm.net") == ("127.0.3.2", "127.0.1.21")


async def test_names_are_matched_case_insensitively(mail_farm: MailFarm) -> None:
    answer = await _resolver(mail_farm).resolve("PostFix.MailFarm.NET", "MX")
    assert [record.exchange.to_text().lower() for record in answer] == ["mx.postfix.mailfarm.net."]


async def test_null_mx_is_preference_zero_and_root(mail_farm: MailFarm) -> None:
    answer = await _resolver(mail_farm).resolve("nullmx.mailfarm.net", "MX")
    assert [(record.preference, record.exchange.to_text()) for record in answer] == [(0, ".")]


async def test_a_only_domain_has_no_mx_but_an_address(mail_farm: MailFarm) -> None:
    response = await _query(mail_farm, "aonly.mailfarm.net", "MX")
    assert response.rcode() == dns.rcode.NOERROR
    assert response.answer == []
    assert [rrset.rdtype for rrset in response.authority] == [dns.rdatatype.SOA]
    answer = await _resolver(mail_farm).resolve("aonly.mailfarm.net", "A")
    assert [record.address for record in answer] == ["127.0.1.22"]
    assert mail_farm.mx_ips("aonly.mailfarm.net") == ("127.0.1.22",)


async def test_hosts_have_no_ipv6_address(mail_farm: MailFarm) -> None:
    response = await _query(mail_farm, "mx.postfix.mailfarm.net", "AAAA")
    assert response.rcode() == dns.rcode.NOERROR
    assert response.answer == []


@pytest.mark.parametrize("name", ["nonexistent.mailfarm.net", "mx.nowhere.mailfarm.net", "example.org"])
async def test_unknown_names_are_nxdomain(mail_farm: MailFarm, name: str) -> None:
    with pytest.raises(dns.resolver.NXDOMAIN):
        await _resolver(mail_farm).resolve(name, "MX")


async def test_bad_mx_points_at_a_name_that_does_not_exist(mail_farm: MailFarm) -> None:
    answer = await _resolver(mail_farm).resolve("badmx.mailfarm.net", "MX")
    (record,) = list(answer)
    response = await _query(mail_farm, record.exchange.to_text(), "A")
    assert response.rcode() == dns.rcode.NXDOMAIN
    assert [rrset.rdtype for rrset in response.authority] == [dns.rdatatype.SOA]


async def test_servfail_domain_answers_servfail(mail_farm: MailFarm) -> None:
    response = await _query(mail_farm, "servfail.mailfarm.net", "MX")
    assert response.rcode() == dns.rcode.SERVFAIL


async def test_timeout_domain_never_answers(mail_farm: MailFarm) -> None:
    host, port = mail_farm.dns_server
    query = dns.message.make_query("timeout.mailfarm.net", "MX")
    with pytest.raises(dns.exception.Timeout):
        await dns.asyncquery.udp(query, host, port=port, timeout=0.2)


async def test_idn_domain_is_served_under_its_a_label(mail_farm: MailFarm) -> None:
    name = dns.name.from_unicode("bücher.mailfarm.net")
    assert name.to_text() == "xn--bcher-kva.mailfarm.net."
    answer = await _resolver(mail_farm).resolve(name, "MX")
    assert [record.exchange.to_text() for record in answer] == ["mx.xn--bcher-kva.mailfarm.net."]
    assert mail_farm.mx_ips("bücher.mailfarm.net") == ("127.0.1.23",)


async def test_idn_host_accepts_both_domain_forms(mail_farm: MailFarm) -> None:
    replies = await _transaction(
        mail_farm,
        "127.0.1.23",
        "alice@xn--bcher-kva.mailfarm.net",
        "bob@bücher.mailfarm.net",
        "nobody@bücher.mailfarm.net",
        mail_from=f"{PROBE_MAIL_FROM} SMTPUTF8",
    )
    assert [reply[0][:9] for reply in replies[3:]] == ["250 2.1.5", "250 2.1.5", "550 5.1.1"]


async def test_private_mx_resolves_to_a_loopback_address(mail_farm: MailFarm) -> None:
    answer = await _resolver(mail_farm).resolve("mx.privatemx.mailfarm.net", "A")
    assert [record.address for record in answer] == ["127.0.3.3"]


def test_every_farm_address_is_on_loopback() -> None:
    catalogue = build_catalogue()
    addresses = {ip for entry in catalogue.names.values() for ip in entry.a}
    addresses |= set(catalogue.hosts) | catalogue.unreachable
    loopback = ipaddress.ip_network("127.0.0.0/8")
    assert [ip for ip in sorted(addresses) if ipaddress.ip_address(ip) not in loopback] == []


async def test_tcp_answers_like_udp(mail_farm: MailFarm) -> None:
    response = await _query(mail_farm, "bench-042.mailfarm.net", "MX", tcp=True)
    assert response.rcode() == dns.rcode.NOERROR
    assert [rdata.to_text() for rdata in response.answer[0]] == ["10 mx.bench-042.mailfarm.net."]


# --- SMTP ---


async def test_postfix_accepts_known_and_rejects_unknown_mailboxes(mail_farm: MailFarm) -> None:
    ip = "127.0.1.1"
    commands = [
        "EHLO client.example",
        PROBE_MAIL_FROM,
        "RCPT TO:<alice@postfix.mailfarm.net>",
        "RCPT TO:<nobody@postfix.mailfarm.net>",
        "QUIT",
    ]
    replies = await _session(mail_farm, ip, *commands)
    banner, ehlo, mail, known, unknown, bye = replies
    assert banner == ["220 mx.postfix.mailfarm.net ESMTP Postfix"]
    assert ehlo[0] == "250-mx.postfix.mailfarm.net"
    assert {"250-PIPELINING", "250-ENHANCEDSTATUSCODES", "250-8BITMIME", "250 SMTPUTF8"} <= set(ehlo)
    assert mail == ["250 2.1.0 Ok"]
    assert known == ["250 2.1.5 Ok"]
    assert unknown == [
        "550 5.1.1 <nobody@postfix.mailfarm.net>: Recipient address rejected: "
        "User unknown in virtual mailbox table"
    ]
    assert bye == ["221 2.0.0 Bye"]
    assert mail_farm.sessions_opened(ip) == 1
    assert mail_farm.transcript(ip) == commands


@pytest.mark.parametrize(
    ("ip", "domain", "accepted", "rejected"),
    [
        ("127.0.1.2", "exim.mailfarm.net", ["250 Accepted"], ["550 Unrouteable address"]),
        (
            "127.0.1.3",
            "gmail.mailfarm.net",
            ["250 2.1.5 OK a1si123456qkb.2 - gsmtp"],
            [
                "550-5.1.1 The email account that you tried to reach does not exist. Please try",
                "550-5.1.1 double-checking the recipient's email address for typos or",
                "550-5.1.1 unnecessary spaces. For more information, go to",
                "550 5.1.1  https://support.google.com/mail/?p=NoSuchUser a1si123456qkb.2 - gsmtp",
            ],
        ),
        (
            "127.0.1.4",
            "m365.mailfarm.net",
            ["250 2.1.5 Recipient OK"],
            [
                "550 5.4.1 Recipient address rejected: Access denied. AS(201806281) "
                "[AM0PR01MB1234.eurprd01.prod.exchangelabs.com 2026-11-23T00:00:00.000Z 08DCABCDEF012345]"
            ],
        ),
        (
            "127.0.1.5",
            "yahoo.mailfarm.net",
            ["250 recipient <alice@yahoo.mailfarm.net> ok"],
            [
                "554 delivery error: dd This user doesn't have a yahoo.com account "
                "(nobody@yahoo.mailfarm.net) [0] - mta1005.mail.gq1.yahoo.com"
            ],
        ),
    ],
)
async def test_mta_styles_word_their_answers(
    mail_farm: MailFarm, ip: str, domain: str, accepted: list[str], rejected: list[str]
) -> None:
    replies = await _transaction(mail_farm, ip, f"alice@{domain}", f"nobody@{domain}")
    assert replies[3:] == [accepted, rejected]


async def test_servers_without_enhanced_codes_do_not_advertise_them(mail_farm: MailFarm) -> None:
    _banner, ehlo, rset = await _session(mail_farm, "127.0.1.2", "EHLO client.example", "RSET")
    assert "250-ENHANCEDSTATUSCODES" not in ehlo
    assert rset == ["250 Ok"]


async def test_catch_all_accepts_any_recipient(mail_farm: MailFarm) -> None:
    replies = await _transaction(
        mail_farm, "127.0.1.6", "qzx81-random@catchall.mailfarm.net", mail_from="MAIL FROM:<>"
    )
    assert replies[-1] == ["250 2.1.5 Ok"]


async def test_greylisting_refuses_first_then_accepts_after_the_delay(mail_farm: MailFarm) -> None:
    mail_farm.set_greylist_delay(0.2)
    greylisted = (
        "450 4.7.1 <alice@greylist.mailfarm.net>: Recipient address rejected: Greylisted, "
        "see http://postgrey.schweikert.ch/help/greylist.mailfarm.net.html"
    )
    first = await _transaction(mail_farm, "127.0.1.7", "alice@greylist.mailfarm.net")
    again = await _transaction(mail_farm, "127.0.1.7", "alice@greylist.mailfarm.net")
    assert first[-1] == again[-1] == [greylisted]
    await asyncio.sleep(0.25)
    later = await _transaction(
        mail_farm, "127.0.1.7", "alice@greylist.mailfarm.net", "nobody@greylist.mailfarm.net"
    )
    assert later[-2] == ["250 2.1.5 Ok"]
    assert later[-1][0].startswith("450 4.7.1 <nobody@greylist.mailfarm.net>")


async def test_too_many_recipients_after_three_per_transaction(mail_farm: MailFarm) -> None:
    domain = "toomany.mailfarm.net"
    replies = await _session(
        mail_farm,
        "127.0.1.9",
        "EHLO client.example",
        PROBE_MAIL_FROM,
        f"RCPT TO:<alice@{domain}>",
        f"RCPT TO:<bob@{domain}>",
        f"RCPT TO:<nobody@{domain}>",
        f"RCPT TO:<info@{domain}>",
        "RSET",
        PROBE_MAIL_FROM,
        f"RCPT TO:<info@{domain}>",
    )
    assert [reply[0][:3] for reply in replies[3:7]] == ["250", "250", "550", "452"]
    assert replies[6] == ["452 4.5.3 Too many recipients"]
    assert replies[-1] == ["250 2.1.5 Ok"]


async def test_full_mailbox_is_a_temporary_failure(mail_farm: MailFarm) -> None:
    replies = await _transaction(mail_farm, "127.0.1.8", "full@full.mailfarm.net", "alice@full.mailfarm.net")
    assert replies[-2:] == [["452 4.2.2 <full@full.mailfarm.net>: Mailbox full"], ["250 2.1.5 Ok"]]


async def test_banner_421_closes_the_connection(mail_farm: MailFarm) -> None:
    async with _connected(mail_farm, "127.0.1.10") as client:
        assert await client.reply() == ["421 4.3.2 Service not available, closing transmission channel"]
        assert await asyncio.wait_for(client.reader.read(), READ_TIMEOUT) == b""


@pytest.mark.parametrize("ip", ["127.0.1.11", "127.0.1.12"])
async def test_tarpit_and_silent_hosts_say_nothing_at_first(mail_farm: MailFarm, ip: str) -> None:
    async with _connected(mail_farm, ip) as client:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(client.reader.readline(), 0.3)
    assert mail_farm.sessions_opened(ip) == 1


@pytest.mark.parametrize("ip", ["127.0.3.1", "127.0.3.2", "127.0.3.3"])
async def test_refused_hosts_refuse_connections(mail_farm: MailFarm, ip: str) -> None:
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection(ip, mail_farm.smtp_port)


async def test_garbage_host_answers_hello_with_non_smtp_bytes(mail_farm: MailFarm) -> None:
    async with _connected(mail_farm, "127.0.1.13") as client:
        assert (await client.reply())[0].startswith("220 ")
        client.writer.write(b"EHLO client.example\r\n")
        raw = await asyncio.wait_for(client.reader.readline(), READ_TIMEOUT)
        assert not raw[:3].isdigit()


async def test_drop_after_5xx_closes_the_connection(mail_farm: MailFarm) -> None:
    async with _open_transaction(mail_farm, "127.0.1.14") as client:
        rejected = await client.command("RCPT TO:<nobody@dropafter5xx.mailfarm.net>")
        assert rejected[0].startswith("550 5.1.1 ")
        assert await asyncio.wait_for(client.reader.read(), READ_TIMEOUT) == b""


async def test_blocklisted_host_refuses_every_recipient_by_policy(mail_farm: MailFarm) -> None:
    replies = await _transaction(mail_farm, "127.0.1.15", "alice@blocklisted.mailfarm.net")
    assert replies[-1][0].startswith(
        "554 5.7.1 Service unavailable; Client host [127.0.0.1] blocked using zen.spamhaus.org"
    )


async def test_sender_rejected_at_mail_from(mail_farm: MailFarm) -> None:
    replies = await _transaction(mail_farm, "127.0.1.16")
    assert replies[-1] == ["553 5.7.1 <probe@client.example>: Sender address rejected: not owned by user"]


async def test_starttls_is_required_then_works(mail_farm: MailFarm) -> None:
    async with _connected(mail_farm, "127.0.1.17") as client:
        await client.reply()
        assert "250-STARTTLS" in await client.command("EHLO client.example")
        assert await client.command(PROBE_MAIL_FROM) == ["530 5.7.0 Must issue a STARTTLS command first"]
        assert await client.command("STARTTLS") == ["220 2.0.0 Ready to start TLS"]
        await client.writer.start_tls(_trusting_tls_context())
        ehlo = await client.command("EHLO client.example")
        assert "250-STARTTLS" not in ehlo
        assert ehlo[0] == "250-mx.starttls.mailfarm.net"
        assert await client.command(PROBE_MAIL_FROM) == ["250 2.1.0 Ok"]
        assert await client.command("RCPT TO:<bob@starttls.mailfarm.net>") == ["250 2.1.5 Ok"]
        assert await client.command("QUIT") == ["221 2.0.0 Bye"]


async def test_helo_only_host_rejects_ehlo(mail_farm: MailFarm) -> None:
    replies = await _session(
        mail_farm,
        "127.0.1.20",
        "EHLO client.example",
        "HELO client.example",
        PROBE_MAIL_FROM,
        "RCPT TO:<alice@heloonly.mailfarm.net>",
    )
    assert replies[1:] == [
        ["502 5.5.2 Error: command not recognized"],
        ["250 mx.heloonly.mailfarm.net"],
        ["250 2.1.0 Ok"],
        ["250 2.1.5 Ok"],
    ]


async def test_smtputf8_only_where_advertised(mail_farm: MailFarm) -> None:
    utf8 = await _transaction(
        mail_farm, "127.0.1.19", "josé@utf8.mailfarm.net", mail_from=f"{PROBE_MAIL_FROM} SMTPUTF8"
    )
    assert "250 SMTPUTF8" in utf8[1]
    assert utf8[-1] == ["250 2.1.5 Ok"]
    plain = await _transaction(mail_farm, "127.0.1.19", "josé@utf8.mailfarm.net")
    assert plain[-1][0].startswith("553 5.6.7 ")
    no_utf8 = await _transaction(mail_farm, "127.0.1.18", mail_from=f"{PROBE_MAIL_FROM} SMTPUTF8")
    assert all("SMTPUTF8" not in line for line in no_utf8[1])
    assert no_utf8[-1] == ["555 5.5.4 Unsupported option: SMTPUTF8"]


async def test_protocol_order_and_limits(mail_farm: MailFarm) -> None:
    replies = await _session(
        mail_farm,
        "127.0.1.1",
        PROBE_MAIL_FROM,
        "EHLO client.example",
        "RCPT TO:<alice@postfix.mailfarm.net>",
        PROBE_MAIL_FROM,
        PROBE_MAIL_FROM,
        "RCPT TO:<alice@elsewhere.example>",
        "RCPT TO:<alice@postfix.mailfarm.net>",
        "DATA",
        "VRFY alice",
        "NOOP",
        "RCPT TO:<" + "a" * 600 + "@postfix.mailfarm.net>",
        "XYZZY",
    )
    assert replies[1] == ["503 5.5.1 Error: send HELO/EHLO first"]
    assert replies[3:] == [
        ["503 5.5.1 Error: need MAIL command"],
        ["250 2.1.0 Ok"],
        ["503 5.5.1 Error: nested MAIL command"],
        ["554 5.7.1 <alice@elsewhere.example>: Relay access denied"],
        ["250 2.1.5 Ok"],
        ["554 5.5.1 Error: message data is not accepted on this host"],
        ["252 2.0.0 Cannot VRFY user, but will accept message and attempt delivery"],
        ["250 2.0.0 Ok"],
        ["500 5.5.0 Line too long"],
        ["502 5.5.2 Error: command not recognized"],
    ]


async def test_bench_domains_know_user_mailboxes(mail_farm: MailFarm) -> None:
    ip = mail_farm.mx_ips("bench-077.mailfarm.net")[0]
    assert ip == "127.0.2.18"
    replies = await _transaction(
        mail_farm,
        ip,
        "user999@bench-077.mailfarm.net",
        "user1000@bench-077.mailfarm.net",
        "user5@bench-057.mailfarm.net",
    )
    assert replies[0] == ["220 mx.bench-017.mailfarm.net ESMTP Postfix"]
    assert [reply[0][:9] for reply in replies[3:]] == ["250 2.1.5", "550 5.1.1", "250 2.1.5"]


async def test_latency_delays_every_reply(mail_farm: MailFarm) -> None:
    mail_farm.set_latency(0.15)
    started = time.monotonic()
    await _session(mail_farm, "127.0.1.1", "NOOP")
    assert time.monotonic() - started >= 0.3


async def test_farm_starts_quickly_and_two_farms_coexist() -> None:
    started = time.monotonic()
    async with MailFarm() as first, MailFarm() as second:
        assert time.monotonic() - started < 0.6
        assert first.smtp_port != second.smtp_port
        assert first.dns_server != second.dns_server
        environ = first.engine_environ()
        assert environ["VERIFALIA_DNS_SERVERS"] == f"127.0.0.1:{first.dns_server[1]}"
        assert environ["VERIFALIA_SMTP_PORT"] == str(first.smtp_port)
        assert environ["VERIFALIA_ALLOW_PRIVATE_MX"] == "1"
        replies = await _session(second, "127.0.1.1", "NOOP")
        assert replies[-1] == ["250 2.0.0 Ok"]
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.1.1", first.smtp_port)


async def test_silent_host_records_what_it_hears(mail_farm: MailFarm) -> None:
    async with _connected(mail_farm, "127.0.1.12") as client:
        client.writer.write(b"EHLO client.example\r\n")
        await client.writer.drain()
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(client.reader.readline(), 0.1)
    assert mail_farm.transcript("127.0.1.12") == ["EHLO client.example"]


async def test_line_beyond_the_read_buffer_ends_the_session(mail_farm: MailFarm) -> None:
    async with _connected(mail_farm, "127.0.1.1") as client:
        await client.reply()
        assert await client.command("NOOP " + "x" * 10_000) == ["500 5.5.0 Line too long"]
        assert await asyncio.wait_for(client.reader.read(), READ_TIMEOUT) == b""


async def test_malformed_queries_are_dropped_and_odd_ones_refused(mail_farm: MailFarm) -> None:
    host, port = mail_farm.dns_server
    loop = asyncio.get_running_loop()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.setblocking(False)
        await loop.sock_sendto(udp, b"\x12\x34junk", (host, port))
        valid = dns.message.make_query("postfix.mailfarm.net", "MX")
        await loop.sock_sendto(udp, valid.to_wire(), (host, port))
        wire = await asyncio.wait_for(loop.sock_recv(udp, 4096), READ_TIMEOUT)
    assert dns.message.from_wire(wire).id == valid.id
    notify = dns.message.make_query("postfix.mailfarm.net", "SOA")
    notify.set_opcode(dns.opcode.NOTIFY)
    chaos = dns.message.make_query("postfix.mailfarm.net", "TXT", rdclass=dns.rdataclass.CH)
    two = dns.message.make_query("postfix.mailfarm.net", "MX")
    two.find_rrset(
        two.question,
        dns.name.from_text("exim.mailfarm.net"),
        dns.rdataclass.IN,
        dns.rdatatype.MX,
        create=True,
    )
    expected = [(notify, dns.rcode.NOTIMP), (chaos, dns.rcode.REFUSED), (two, dns.rcode.FORMERR)]
    for query, rcode in expected:
        response = await dns.asyncquery.udp(query, host, port=port, timeout=1.0)
        assert response.rcode() == rcode


async def test_zone_apex_has_soa_and_ns_but_no_mx(mail_farm: MailFarm) -> None:
    resolver = _resolver(mail_farm)
    soa = await resolver.resolve("mailfarm.net", "SOA")
    assert [record.mname.to_text() for record in soa] == ["ns.mailfarm.net."]
    ns = await resolver.resolve("mailfarm.net", "NS")
    assert [record.target.to_text() for record in ns] == ["ns.mailfarm.net."]
    response = await _query(mail_farm, "mailfarm.net", "MX")
    assert (response.rcode(), response.answer) == (dns.rcode.NOERROR, [])


@pytest.mark.parametrize(
    ("ip", "commands", "expected"),
    [
        ("127.0.1.1", ["EHLO"], "501 5.5.4 Syntax: EHLO hostname"),
        ("127.0.1.1", ["HELO client.example", "MAIL FROM:<a@client.example> SIZE=10"], "555 5.5.4 "),
        ("127.0.1.1", ["EHLO client.example", "MAIL FROM:a@client.example"], "501 5.5.4 Syntax: MAIL "),
        ("127.0.1.1", ["EHLO client.example", "MAIL FROM:<a@client.example> SIZE=99999999"], "552 5.3.4 "),
        ("127.0.1.1", ["EHLO client.example", "MAIL FROM:<a@client.example> BODY=8BITMIME"], "250 2.1.0 "),
        ("127.0.1.1", ["EHLO client.example", "MAIL FROM:<a@client.example> XFOO=1"], "555 5.5.4 "),
        ("127.0.1.1", ["EHLO client.example", "MAIL FROM:<jo\u00e9@client.example>"], "553 5.6.7 "),
        ("127.0.1.1", ["EHLO client.example", "MAIL FROM:<>", "RCPT TO:alice"], "501 5.5.4 Syntax: RCPT "),
        ("127.0.1.1", ["EHLO client.example", "MAIL FROM:<>", "RCPT TO:<alice>"], "501 5.1.3 "),
        (
            "127.0.1.1",
            ["EHLO client.example", "MAIL FROM:<>", "RCPT TO:<alice@postfix.mailfarm.net> NOTIFY=NEVER"],
            "555 5.5.4 ",
        ),
        (
            "127.0.1.1",
            ["EHLO client.example", "MAIL FROM:<>", 'RCPT TO:<"alice"@postfix.mailfarm.net>'],
            "250 ",
        ),
        ("127.0.1.1", ["EHLO client.example", "DATA"], "503 5.5.1 Error: need MAIL command"),
        ("127.0.1.1", ["EHLO client.example", "MAIL FROM:<>", "DATA"], "503 5.5.1 Error: need RCPT command"),
        (
            "127.0.1.1",
            ["EHLO client.example", "MAIL FROM:<>", "RCPT TO:<zz@postfix.mailfarm.net>", "DATA"],
            "554 5.5.1 Error: no valid recipients",
        ),
        ("127.0.1.1", ["EHLO client.example", "STARTTLS"], "502 5.5.1 Error: command not implemented"),
        ("127.0.1.17", ["EHLO client.example", "STARTTLS now"], "501 5.5.4 Syntax: STARTTLS"),
        ("127.0.1.1", [""], "500 5.5.2 Error: bad syntax"),
        (
            "127.0.1.2",
            ["EHLO client.example", "MAIL FROM:<>", "MAIL FROM:<>"],
            "503 Error: nested MAIL command",
        ),
    ],
)
async def test_protocol_errors(mail_farm: MailFarm, ip: str, commands: list[str], expected: str) -> None:
    replies = await _session(mail_farm, ip, *commands)
    assert replies[-1][0].startswith(expected)


async def test_tls_cannot_start_twice(mail_farm: MailFarm) -> None:
    async with _connected(mail_farm, "127.0.1.17") as client:
        await client.reply()
        await client.command("EHLO client.example")
        await client.command("STARTTLS")
        await client.writer.start_tls(_trusting_tls_context())
        assert await client.command("STARTTLS") == ["554 5.5.1 Error: TLS already active"]


@pytest.mark.parametrize("label", ["dropbeforereply", "hangonrcpt"])
async def test_unanswering_hosts_have_their_own_exchanger(mail_farm: MailFarm, label: str) -> None:
    answer = await _resolver(mail_farm).resolve(f"{label}.mailfarm.net", "MX")
    assert [record.exchange.to_text() for record in answer] == [f"mx.{label}.mailfarm.net."]
    ip = {"dropbeforereply": "127.0.1.24", "hangonrcpt": "127.0.1.25"}[label]
    assert mail_farm.mx_ips(f"{label}.mailfarm.net") == (ip,)


async def test_drop_before_reply_accepts_alice_and_hangs_up_on_anyone_else(mail_farm: MailFarm) -> None:
    async with _open_transaction(mail_farm, "127.0.1.24") as client:
        accepted = await client.command("RCPT TO:<alice@dropbeforereply.mailfarm.net>")
        assert accepted == ["250 2.1.5 Ok"]
        assert await client.command("RCPT TO:<bob@dropbeforereply.mailfarm.net>") == []
        assert client.reader.at_eof()
    assert mail_farm.transcript("127.0.1.24")[-1] == "RCPT TO:<bob@dropbeforereply.mailfarm.net>"


async def test_drop_before_reply_hangs_up_on_an_unknown_mailbox_too(mail_farm: MailFarm) -> None:
    async with _open_transaction(mail_farm, "127.0.1.24") as client:
        assert await client.command("RCPT TO:<nobody@dropbeforereply.mailfarm.net>") == []


async def test_hang_on_rcpt_accepts_alice_and_never_answers_anyone_else(mail_farm: MailFarm) -> None:
    async with _open_transaction(mail_farm, "127.0.1.25") as client:
        assert await client.command("RCPT TO:<alice@hangonrcpt.mailfarm.net>") == ["250 2.1.5 Ok"]
        client.writer.write(b"RCPT TO:<bob@hangonrcpt.mailfarm.net>\r\nNOOP\r\n")
        await client.writer.drain()
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(client.reader.readline(), 0.3)
        assert not client.reader.at_eof()
    assert mail_farm.transcript("127.0.1.25")[-2:] == ["RCPT TO:<bob@hangonrcpt.mailfarm.net>", "NOOP"]
    # The hung session ends when the client hangs up: a new one is served at once.
    replies = await _session(mail_farm, "127.0.1.25", "NOOP")
    assert replies[-1] == ["250 2.0.0 Ok"]
    assert mail_farm.sessions_opened("127.0.1.25") == 2


@pytest.mark.parametrize(
    ("label", "primary", "secondary"),
    [("fallback421", "127.0.1.26", "127.0.1.27"), ("fallback451", "127.0.1.28", "127.0.1.29")],
)
async def test_fallback_domains_have_a_busy_primary_and_a_working_secondary(
    mail_farm: MailFarm, label: str, primary: str, secondary: str
) -> None:
    domain = f"{label}.mailfarm.net"
    answer = await _resolver(mail_farm).resolve(domain, "MX")
    assert _exchangers(answer) == [(10, f"mx1.{domain}."), (20, f"mx2.{domain}.")]
    assert mail_farm.mx_ips(domain) == (primary, secondary)
    replies = await _transaction(mail_farm, secondary, f"alice@{domain}")
    assert replies[-1] == ["250 2.1.5 Ok"]


async def test_fallback421_primary_refuses_at_the_banner(mail_farm: MailFarm) -> None:
    replies = await _session(mail_farm, "127.0.1.26")
    assert replies == [["421 4.3.2 Service not available, closing transmission channel"]]


async def test_fallback451_primary_defers_the_sender(mail_farm: MailFarm) -> None:
    replies = await _transaction(mail_farm, "127.0.1.28")
    assert replies[-1] == ["451 4.3.0 Temporary local problem, try again later"]


async def test_peak_sessions_counts_connections_open_at_once(mail_farm: MailFarm) -> None:
    first = await SmtpClient.connect("127.0.1.1", mail_farm.smtp_port)
    second = await SmtpClient.connect("127.0.1.1", mail_farm.smtp_port)
    await first.reply()
    await second.reply()
    await first.close()
    await second.close()
    await _session(mail_farm, "127.0.1.1", "QUIT")
    assert mail_farm.sessions_opened("127.0.1.1") == 3
    assert mail_farm.peak_sessions("127.0.1.1") == 2


async def _wait_for_a_banner(port: int) -> None:
    with contextlib.suppress(ConnectionError):  # refused once the farm stopped listening, or reset
        reader, writer = await asyncio.open_connection("127.0.1.11", port)
        try:
            # the farm's shutdown ends the connection: no session outlives it
            await asyncio.wait_for(reader.read(), READ_TIMEOUT)
        finally:
            writer.close()


async def test_closing_ends_connections_in_flight_and_reports_nothing() -> None:
    loop = asyncio.get_running_loop()
    reported: list[dict[str, object]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    try:
        # the farm shuts down while tarpit connections are being accepted and their banners are pending
        for delay in (0.0, 0.001, 0.002, 0.005):
            async with MailFarm() as farm:
                clients = [asyncio.create_task(_wait_for_a_banner(farm.smtp_port)) for _ in range(20)]
                await asyncio.sleep(delay)
            await asyncio.gather(*clients)
            await asyncio.sleep(0.05)
    finally:
        loop.set_exception_handler(previous)
    assert reported == []
