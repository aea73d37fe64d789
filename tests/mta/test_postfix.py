"""The Postfix farm is real Debian Postfix (and postgrey), reached over loopback as an outside client."""

from __future__ import annotations

import asyncio
import collections
import ipaddress
import os
import re
import signal
import sys
import time
import uuid
from pathlib import Path

import dns.asyncquery
import dns.message
import dns.rdatatype
import psutil

from tests.mta.farm import MtaFarm
from tests.mta.fixtures import MtaFarmFactory
from tests.mta.maillog import LogEvent
from tests.mta.scenario import Scenario
from tests.mta.scenarios import (
    SMALL_CONCURRENCY,
    SMALL_RECIPIENTS,
    bulk_scenario,
    small_scenario,
    throttled_scenario,
)
from tests.mta.smtp_client import ConnectionClosed, SmtpClient
from verifalia_server.engine.statuses import Status

MAIL_FROM = "MAIL FROM:<probe@verifier.mailfarm.net>"
STOCK = "mx-stock.mta.mailfarm.net"
LOOPBACK = ipaddress.ip_network("127.0.0.0/8")
UNKNOWN_USER_TEXT = "Recipient address rejected: User unknown in virtual mailbox table"


async def _open(farm: MtaFarm, host: str, source: str | None = None) -> SmtpClient:
    """A session with `host` (an MX name) through the relay, after EHLO and MAIL FROM."""
    client = await SmtpClient.connect(farm.host(host).address, farm.smtp_port, source=source)
    assert client.banner.code == 220, client.banner
    assert (await client.command("EHLO verifier.mailfarm.net")).code == 250
    assert (await client.command(MAIL_FROM)).code == 250
    return client


async def _rcpt(client: SmtpClient, address: str) -> tuple[int, str]:
    reply = await client.command(f"RCPT TO:<{address}>")
    return reply.code, reply.text


async def _query(farm: MtaFarm, name: str, rdtype: str) -> list[str]:
    host, port = farm.dns_server
    response = await dns.asyncquery.udp(dns.message.make_query(name, rdtype), host, port=port, timeout=1.0)
    return [rdata.to_text() for rrset in response.answer for rdata in rrset]


# --- the instance ---


async def test_every_listener_is_on_loopback(mta_farm: MtaFarm) -> None:
    services = await mta_farm.postfix.postconf("-M", "*/inet")
    listeners = [line.split()[0].rsplit(":", 1) for line in services.splitlines()]
    assert len(listeners) == len(mta_farm.scenario.hosts)
    for address, port in listeners:
        assert ipaddress.ip_address(address) in LOOPBACK
        assert int(port) == mta_farm.listener_port
    for host in mta_farm.scenario.hosts:
        assert ipaddress.ip_address(host.address) in LOOPBACK
    assert ipaddress.ip_address(mta_farm.dns_server[0]) in LOOPBACK


async def test_postfix_makes_no_dns_lookups_and_trusts_no_client(mta_farm: MtaFarm) -> None:
    settings = await mta_farm.postfix.postconf(
        "smtpd_peername_lookup", "smtp_dns_support_level", "mynetworks", "inet_protocols"
    )
    assert settings.splitlines() == [
        "smtpd_peername_lookup = no",
        "smtp_dns_support_level = disabled",
        "mynetworks =",
        "inet_protocols = ipv4",
    ]
    client = await _open(mta_farm, STOCK, source="127.0.0.2")
    await client.command("QUIT")
    await client.close()
    # without a reverse lookup the client's name stays "unknown"
    assert await mta_farm.log.wait_for(LogEvent.CONNECT, host=STOCK, client="127.0.0.2") == 1
    assert any("connect from unknown[127.0.0.2]" in line for line in mta_farm.log.lines())


async def test_postfix_traffic_stays_on_loopback_and_never_reaches_a_resolver(tmp_path: Path) -> None:
    trace = tmp_path / "postfix.trace"
    wrapper = [
        "strace",
        "-f",
        "-e",
        "trace=accept,accept4,bind,connect,sendto,sendmsg,openat",
        "-o",
        str(trace),
    ]
    async with MtaFarm(postfix_wrapper=wrapper) as farm:
        for host, domain in [(STOCK, "stock-1"), ("mx-greylisting.mta.mailfarm.net", "greylisting-1")]:
            client = await _open(farm, host, source="127.0.0.6")
            for local_part in ("alice", "nobody"):
                await _rcpt(client, f"{local_part}@{domain}.mta.mailfarm.net")
            await client.command("QUIT")
            await client.close()
        assert await farm.log.wait_for(LogEvent.DISCONNECT, 2) == 2
    calls = trace.read_text()
    endpoints = set(
        re.findall(r'sa_family=AF_INET, sin_port=htons\((\d+)\), sin_addr=inet_addr\("([0-9.]+)"\)', calls)
    )
    assert "127.0.0.6" in {address for _port, address in endpoints}  # the trace saw the sessions
    assert all(ipaddress.ip_address(address) in LOOPBACK for _port, address in endpoints)
    assert "53" not in {port for port, _address in endpoints}  # RFC 1035 §4.2: the DNS port
    assert "resolv.conf" not in calls


async def test_banner_names_postfix(mta_farm: MtaFarm) -> None:
    client = await SmtpClient.connect(mta_farm.host(STOCK).address, mta_farm.smtp_port)
    await client.close()
    assert client.banner.code == 220
    assert client.banner.text == "postfix.mta.mailfarm.net ESMTP Postfix"


async def test_known_user_is_accepted_and_unknown_user_rejected(mta_farm: MtaFarm) -> None:
    client = await _open(mta_farm, STOCK)
    assert await _rcpt(client, "alice@stock-1.mta.mailfarm.net") == (250, "2.1.5 Ok")
    code, text = await _rcpt(client, "nobody@stock-1.mta.mailfarm.net")
    await client.close()
    assert code == 550
    assert text == f"5.1.1 <nobody@stock-1.mta.mailfarm.net>: {UNKNOWN_USER_TEXT}"
    assert await mta_farm.log.wait_for(LogEvent.UNKNOWN_USER, host=STOCK) == 1


async def test_catch_all_domain_accepts_any_local_part(mta_farm: MtaFarm) -> None:
    client = await _open(mta_farm, STOCK)
    random_user = uuid.uuid4().hex
    assert (await _rcpt(client, f"{random_user}@catchall-1.mta.mailfarm.net"))[0] == 250
    assert (await _rcpt(client, f"{random_user}@stock-1.mta.mailfarm.net"))[0] == 550
    await client.close()


async def test_dns_publishes_each_domain_at_its_relayed_exchanger(mta_farm: MtaFarm) -> None:
    assert await _query(mta_farm, "stock-1.mta.mailfarm.net", "MX") == [f"10 {STOCK}."]
    assert await _query(mta_farm, STOCK, "A") == [mta_farm.host(STOCK).address]
    assert mta_farm.mx_addresses("throttled-2.mta.mailfarm.net") == ("127.0.10.2",)


# --- Postfix's error and rate limits ---


async def test_refused_recipients_slow_down_after_ten_and_end_the_session_at_twenty(
    mta_farm: MtaFarm,
) -> None:
    client = await _open(mta_farm, STOCK)
    replies = [await client.command(f"RCPT TO:<u{n}@stock-1.mta.mailfarm.net>") for n in range(21)]
    assert [reply.code for reply in replies] == [550] * 20 + [421]
    assert all(reply.elapsed < 0.5 for reply in replies[:10])
    # smtpd_soft_error_limit 10: every later reply waits smtpd_error_sleep_time (1 s)
    assert all(reply.elapsed >= 0.9 for reply in replies[10:])
    assert replies[20].text == "4.7.0 postfix.mta.mailfarm.net Error: too many errors"
    assert await client.closed_by_server()
    await client.close()
    assert await mta_farm.log.wait_for(LogEvent.TOO_MANY_ERRORS, host=STOCK) == 1


async def test_throttled_exchanger_limits_recipients_per_client(mta_farm: MtaFarm) -> None:
    client = await _open(mta_farm, "mx-throttled.mta.mailfarm.net", source="127.0.0.3")
    codes = [(await _rcpt(client, "alice@throttled-1.mta.mailfarm.net"))[0] for _ in range(20)]
    code, text = await _rcpt(client, "alice@throttled-1.mta.mailfarm.net")
    await client.close()
    assert codes == [250] * 20
    assert (code, text) == (450, "4.7.1 Error: too many recipients from 127.0.0.3")
    # another client has its own budget
    other = await _open(mta_farm, "mx-throttled.mta.mailfarm.net", source="127.0.0.4")
    assert (await _rcpt(other, "alice@throttled-1.mta.mailfarm.net"))[0] == 250
    await other.close()
    assert await mta_farm.log.wait_for(LogEvent.RECIPIENT_RATE, client="127.0.0.3") == 1


async def test_throttled_exchanger_limits_connections_per_client(mta_farm: MtaFarm) -> None:
    host = mta_farm.host("mx-throttled.mta.mailfarm.net")
    banners = []
    for _ in range(31):
        client = await SmtpClient.connect(host.address, mta_farm.smtp_port, source="127.0.0.5")
        banners.append(client.banner)
        if client.banner.code == 220:
            await client.command("QUIT")
        await client.close()
    assert [banner.code for banner in banners] == [220] * 30 + [421]
    assert banners[30].text == ("4.7.0 postfix.mta.mailfarm.net Error: too many connections from 127.0.0.5")
    assert await mta_farm.log.wait_for(LogEvent.CONNECTION_RATE, host=host.name) == 1
    assert mta_farm.sessions_opened(host.address) == 31


async def test_concurrency_limited_exchanger_refuses_extra_sessions(mta_farm: MtaFarm) -> None:
    host = mta_farm.host("mx-concurrency.mta.mailfarm.net")
    sessions = [await _open(mta_farm, host.name) for _ in range(SMALL_CONCURRENCY)]
    extra = await SmtpClient.connect(host.address, mta_farm.smtp_port)
    await extra.close()
    for session in sessions:
        await session.close()
    assert extra.banner.code == 421
    assert extra.banner.text == "4.7.0 postfix.mta.mailfarm.net Error: too many connections from 127.0.0.1"
    assert await mta_farm.log.wait_for(LogEvent.CONNECTION_COUNT, host=host.name) == 1
    assert mta_farm.peak_sessions(host.address) == SMALL_CONCURRENCY + 1


async def test_recipient_limited_exchanger_caps_one_transaction(mta_farm: MtaFarm) -> None:
    client = await _open(mta_farm, "mx-recipients.mta.mailfarm.net")
    accepted = [
        (await _rcpt(client, "alice@recipients-1.mta.mailfarm.net"))[0] for _ in range(SMALL_RECIPIENTS)
    ]
    over = await _rcpt(client, "bob@recipients-1.mta.mailfarm.net")
    await client.close()
    assert accepted == [250] * SMALL_RECIPIENTS
    assert over == (452, "4.5.3 Error: too many recipients")


async def test_postgrey_defers_a_new_triplet_then_accepts_it_after_the_delay(mta_farm: MtaFarm) -> None:
    host = "mx-greylisting.mta.mailfarm.net"
    client = await _open(mta_farm, host)
    code, text = await _rcpt(client, "alice@greylisting-1.mta.mailfarm.net")
    assert code == 450
    assert text.startswith(
        "4.2.0 <alice@greylisting-1.mta.mailfarm.net>: Recipient address rejected: Greylisted"
    )
    # unknown users are refused before the policy is asked
    assert (await _rcpt(client, "nobody@greylisting-1.mta.mailfarm.net"))[0] == 550
    await asyncio.sleep(mta_farm.greylist_delay + 1)
    assert (await _rcpt(client, "alice@greylisting-1.mta.mailfarm.net"))[0] == 250
    await client.close()
    assert await mta_farm.log.wait_for(LogEvent.GREYLISTED, host=host) == 1


# --- the relay ---


async def test_relay_adds_the_latency_and_keeps_the_client_address(
    mta_farm_factory: MtaFarmFactory,
) -> None:
    farm = await mta_farm_factory(latency=0.2)
    started = time.monotonic()
    client = await _open(farm, STOCK, source="127.0.0.2")
    # connection and banner, EHLO, MAIL FROM: three round trips
    assert time.monotonic() - started >= 0.6
    reply = await client.command("RCPT TO:<alice@stock-1.mta.mailfarm.net>")
    assert 0.2 <= reply.elapsed < 0.6
    farm.set_latency(0.0)
    assert (await client.command("RCPT TO:<bob@stock-1.mta.mailfarm.net>")).elapsed < 0.6
    await client.close()
    assert await farm.log.wait_for(LogEvent.CONNECT, host=STOCK, client="127.0.0.2") == 1


async def test_relay_counts_sessions_and_their_peak_per_exchanger(mta_farm: MtaFarm) -> None:
    address = mta_farm.host(STOCK).address
    first = await _open(mta_farm, STOCK)
    second = await _open(mta_farm, STOCK)
    assert mta_farm.session_stats()[address].active == 2
    await first.close()
    await second.close()
    for _ in range(100):
        if mta_farm.session_stats()[address].active == 0:
            break
        await asyncio.sleep(0.02)
    third = await _open(mta_farm, STOCK)
    await third.command("QUIT")
    assert await third.closed_by_server()
    await third.close()
    stats = mta_farm.session_stats()[address]
    assert (stats.opened, stats.peak) == (3, 2)
    assert mta_farm.sessions_opened(mta_farm.host("mx-throttled.mta.mailfarm.net").address) == 0


async def test_relay_passes_the_server_closing_the_connection(mta_farm: MtaFarm) -> None:
    client = await _open(mta_farm, STOCK)
    assert (await client.command("QUIT")).code == 221
    assert await client.closed_by_server()
    try:
        await client.command("NOOP")
    except (ConnectionClosed, ConnectionError):
        pass
    else:
        raise AssertionError("the relay kept a closed session open")
    await client.close()


# --- scenarios ---


def _statuses(scenario: Scenario) -> collections.Counter[Status]:
    return collections.Counter(scenario.expected.values())


def test_bulk_scenario_is_deterministic_with_a_third_of_mailboxes_missing() -> None:
    scenario = bulk_scenario()
    assert scenario.expected == bulk_scenario().expected
    assert len(scenario.expected) == 10_000
    assert len(scenario.domains) == 100
    assert len(scenario.hosts) == 8
    assert all(host.profile.overrides == () for host in scenario.hosts)
    counts = _statuses(scenario)
    assert counts[Status.MAILBOX_DOES_NOT_EXIST] >= 3_000
    assert counts[Status.SERVER_IS_CATCH_ALL] > 0
    assert counts[Status.SUCCESS] > 0
    assert set(counts) == {Status.SUCCESS, Status.MAILBOX_DOES_NOT_EXIST, Status.SERVER_IS_CATCH_ALL}
    assert bulk_scenario(seed=2).expected != scenario.expected


async def test_real_postfix_answers_as_the_bulk_scenario_expects(mta_farm_factory: MtaFarmFactory) -> None:
    farm = await mta_farm_factory(bulk_scenario())
    wanted = {Status.SUCCESS: 250, Status.SERVER_IS_CATCH_ALL: 250, Status.MAILBOX_DOES_NOT_EXIST: 550}
    for domain in farm.scenario.domains[:20]:
        addresses = [address for address in farm.expected if address.endswith(f"@{domain.name}")][:8]
        client = await SmtpClient.connect(farm.mx_addresses(domain.name)[0], farm.smtp_port)
        assert (await client.command("EHLO verifier.mailfarm.net")).code == 250
        assert (await client.command(MAIL_FROM)).code == 250
        codes = [(await _rcpt(client, address))[0] for address in addresses]
        await client.close()
        assert codes == [wanted[farm.expected[address]] for address in addresses]


async def test_throttled_scenario_configures_its_limits_in_postfix(mta_farm_factory: MtaFarmFactory) -> None:
    scenario = throttled_scenario()
    assert len(scenario.expected) == 1_000
    assert len(scenario.hosts) == 8
    assert _statuses(scenario)[Status.MAILBOX_DOES_NOT_EXIST] >= 300
    farm = await mta_farm_factory(scenario)
    for host in scenario.hosts:
        service = f"{host.listener}:{farm.listener_port}/inet"
        recipients, connections = (
            f"{service}/smtpd_client_{limit}_rate_limit" for limit in ("recipient", "connection")
        )
        limits = await farm.postfix.postconf("-P", recipients, connections)
        assert limits.splitlines() == [f"{recipients} = 20", f"{connections} = 30"]
    assert (await farm.postfix.postconf("-h", "anvil_rate_time_unit")).strip() == "10s"


def test_small_scenario_lists_every_profile() -> None:
    scenario = small_scenario()
    assert {host.profile.name for host in scenario.hosts} == {
        "stock",
        "throttled",
        "concurrency",
        "recipients",
        "greylisting",
    }
    assert scenario.expected["alice@stock-1.mta.mailfarm.net"] is Status.SUCCESS
    assert scenario.expected["nobody@stock-1.mta.mailfarm.net"] is Status.MAILBOX_DOES_NOT_EXIST
    assert scenario.expected["nobody@catchall-1.mta.mailfarm.net"] is Status.SERVER_IS_CATCH_ALL


# --- lifecycle ---


def _farm_processes(directory: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cmdline", "status"]):
        if any(str(directory) in argument for argument in process.info["cmdline"] or ()):
            found.append(process)
    return found


async def test_closing_the_farm_leaves_no_process_behind() -> None:
    farm = MtaFarm()
    await farm.start()
    directory = farm.postfix.layout.base
    running = _farm_processes(directory)
    master_children = [
        child for process in running if "master" in process.name() for child in process.children()
    ]
    assert "master" in {process.name() for process in running}
    assert master_children
    await farm.close()
    leftovers = [process for process in (*running, *master_children) if process.is_running()]
    assert leftovers == []
    assert _farm_processes(directory) == []
    assert not directory.exists()


async def test_standalone_farm_prints_the_engine_environment_and_the_address_list(tmp_path: Path) -> None:
    addresses = tmp_path / "addresses.csv"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.mta",
        "--scenario",
        "throttled",
        "--latency",
        "0.02",
        "--addresses",
        str(addresses),
        stdout=asyncio.subprocess.PIPE,
        cwd=Path(__file__).parents[2],
    )
    assert process.stdout is not None
    lines = []
    while not (line := (await asyncio.wait_for(process.stdout.readline(), 30)).decode()).startswith("#"):
        lines.append(line.strip())
    environ = dict(line.split("=", 1) for line in lines)
    assert environ["VERIFALIA_ALLOW_PRIVATE_MX"] == "1"
    assert environ["VERIFALIA_DNS_SERVERS"].startswith("127.0.0.1:")
    assert str(addresses) in line
    rows = addresses.read_text().splitlines()
    assert len(rows) == 1_000
    assert rows[0].split(",")[1] in {status.value for status in Status}
    client = await SmtpClient.connect("127.0.10.1", int(environ["VERIFALIA_SMTP_PORT"]))
    assert client.banner.code == 220
    await client.close()
    os.kill(process.pid, signal.SIGTERM)
    assert await asyncio.wait_for(process.wait(), 30) == 0
