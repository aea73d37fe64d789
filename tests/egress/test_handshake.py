"""Sessions through egress pools: fail-over, verdicts that name the proxy, HELO and caps per egress."""

from __future__ import annotations

import asyncio

import pytest

from tests.egress.conftest import OPEN_PROXY_SOURCE, PASSWORD
from tests.egress.socks import DownProxy, Microsocks, MuteProxy
from tests.mailfarm.farm import MailFarm
from verifalia_server.engine.config import EngineConfig
from verifalia_server.engine.dns import MailExchanger, MailRoute
from verifalia_server.engine.smtp.handshake import Connection, Handshaker, Outcome
from verifalia_server.engine.smtp.limiter import SessionLimiter
from verifalia_server.engine.statuses import Status

POSTFIX = "postfix.mailfarm.net"
REFUSED = "refused.mailfarm.net"
PRIVATE = "privatemx.mailfarm.net"


def _handshaker(farm: MailFarm, per_host: int = 4, **environ: str) -> Handshaker:
    config = EngineConfig.from_env(
        farm.engine_environ() | {"VERIFALIA_SMTP_CONNECT_TIMEOUT": "0.5"} | environ
    )
    return Handshaker(config, SessionLimiter(per_host, 50))


def _route(farm: MailFarm, *domains: str) -> MailRoute:
    return MailRoute(tuple(MailExchanger(f"mx.{domain}", 10, farm.mx_ips(domain)) for domain in domains))


async def _connect(handshaker: Handshaker, route: MailRoute) -> Connection:
    opened = await handshaker.open(route, False)
    assert isinstance(opened, Connection), opened
    return opened


async def _fail(handshaker: Handshaker, route: MailRoute) -> Outcome:
    opened = await handshaker.open(route, False)
    assert isinstance(opened, Outcome), opened
    return opened


async def test_a_dead_proxy_fails_over_to_the_next_of_the_pool(
    mail_farm: MailFarm, down_proxy: DownProxy, mute_proxy: MuteProxy, open_proxy: Microsocks
) -> None:
    pool = f"{down_proxy.url()},{mute_proxy.url()},{open_proxy.url()}"
    handshaker = _handshaker(mail_farm, VERIFALIA_SMTP_PROXY=pool)

    connection = await _connect(handshaker, _route(mail_farm, POSTFIX))
    handshaker.close(connection)

    label = f"socks5://127.0.0.1:{open_proxy.port}"
    assert connection.egress == label
    assert connection.hello_evidence.egress == label
    assert connection.session_key == f"{connection.ip} via {label}"
    assert mail_farm.clients(connection.ip) == [OPEN_PROXY_SOURCE]


async def test_when_every_proxy_fails_the_verdict_is_a_connection_failure_naming_the_proxy(
    mail_farm: MailFarm, mute_proxy: MuteProxy, auth_proxy: Microsocks
) -> None:
    wrong_password = auth_proxy.url(password=PASSWORD + "x")
    route = _route(mail_farm, POSTFIX)

    refused = await _fail(
        _handshaker(mail_farm, VERIFALIA_SMTP_PROXY=f"{mute_proxy.url()},{wrong_password}"), route
    )
    timed_out = await _fail(
        _handshaker(mail_farm, VERIFALIA_SMTP_PROXY=f"{wrong_password},{mute_proxy.url()}"), route
    )

    auth_label = f"socks5://prober@127.0.0.1:{auth_proxy.port}"
    assert refused.status is Status.SMTP_CONNECTION_FAILURE
    assert refused.evidence.egress == auth_label
    assert refused.evidence.reply_text == f"proxy {auth_label}: Username and password authentication failure"
    assert timed_out.status is Status.SMTP_CONNECTION_TIMEOUT
    assert timed_out.evidence.egress == mute_proxy.url()
    assert mail_farm.clients(mail_farm.mx_ips(POSTFIX)[0]) == []


async def test_a_dead_proxy_is_not_tried_again_for_the_next_exchanger(
    mail_farm: MailFarm, mute_proxy: MuteProxy, open_proxy: Microsocks
) -> None:
    handshaker = _handshaker(mail_farm, VERIFALIA_SMTP_PROXY=f"{mute_proxy.url()},{open_proxy.url()}")
    started = asyncio.get_running_loop().time()

    # Each connection starts one further along the pool: [mute, open], [open, mute], [mute, open].
    # The mute proxy costs its timeout once; for the third exchanger it is skipped, not waited for again.
    connection = await _connect(handshaker, _route(mail_farm, REFUSED, PRIVATE, POSTFIX))
    handshaker.close(connection)

    assert connection.host_name == f"mx.{POSTFIX}"
    assert asyncio.get_running_loop().time() - started < 0.9


async def test_a_refusal_through_a_working_proxy_is_the_exchangers_and_no_other_proxy_is_tried(
    mail_farm: MailFarm, open_proxy: Microsocks, down_proxy: DownProxy
) -> None:
    handshaker = _handshaker(mail_farm, VERIFALIA_SMTP_PROXY=f"{open_proxy.url()},{down_proxy.url()}")

    outcome = await _fail(handshaker, _route(mail_farm, REFUSED))

    label = f"socks5://127.0.0.1:{open_proxy.port}"
    assert outcome.status is Status.SMTP_CONNECTION_FAILURE
    assert outcome.evidence.egress == label
    assert outcome.evidence.reply_text == f"connection refused (via proxy {label})"


async def test_each_egress_says_its_own_helo_name(mail_farm: MailFarm, open_proxy: Microsocks) -> None:
    sources = _handshaker(mail_farm, VERIFALIA_SMTP_SOURCE_ADDRESSES="127.0.0.61=a.example.net,127.0.0.62")
    proxied = _handshaker(mail_farm, VERIFALIA_SMTP_PROXY=open_proxy.url(helo="p.example.net"))
    route = _route(mail_farm, POSTFIX)

    for handshaker in (sources, sources, proxied):
        handshaker.close(await _connect(handshaker, route))

    ip = mail_farm.mx_ips(POSTFIX)[0]
    hellos = [line for line in mail_farm.transcript(ip) if line.startswith("EHLO")]
    assert hellos == ["EHLO a.example.net", "EHLO verifier.mailfarm.net", "EHLO p.example.net"]
    assert mail_farm.clients(ip) == ["127.0.0.61", "127.0.0.62", OPEN_PROXY_SOURCE]


@pytest.mark.parametrize(("sources", "concurrent"), [("127.0.0.71", 1), ("127.0.0.71,127.0.0.72", 2)])
async def test_session_caps_count_per_egress(mail_farm: MailFarm, sources: str, concurrent: int) -> None:
    handshaker = _handshaker(mail_farm, per_host=1, VERIFALIA_SMTP_SOURCE_ADDRESSES=sources)
    route = _route(mail_farm, POSTFIX)
    first = await _connect(handshaker, route)

    second = asyncio.create_task(_connect(handshaker, route))
    done, _ = await asyncio.wait({second}, timeout=0.5)
    handshaker.close(first)
    handshaker.close(await second)

    ip = mail_farm.mx_ips(POSTFIX)[0]
    assert bool(done) is (concurrent == 2)
    assert mail_farm.peak_sessions(ip) == concurrent
    assert sorted(set(mail_farm.clients(ip))) == sources.split(",")


async def test_a_source_address_of_the_other_family_does_not_spoil_it_for_the_next_exchanger(
    mail_farm: MailFarm,
) -> None:
    handshaker = _handshaker(mail_farm, VERIFALIA_SMTP_SOURCE_ADDRESSES="127.0.0.61")
    # An IPv4 source cannot be bound for an IPv6 exchanger: that fails locally, before any packet.
    ipv6_first = MailRoute(
        (MailExchanger("mx6.example.net", 5, ("::1",)), *_route(mail_farm, POSTFIX).exchangers)
    )

    connection = await _connect(handshaker, ipv6_first)
    handshaker.close(connection)

    assert connection.host_name == f"mx.{POSTFIX}"
    assert mail_farm.clients(connection.ip) == ["127.0.0.61"]
