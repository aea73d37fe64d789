"""`SmtpSession.connect` through each kind of egress, against the mail farm's SMTP hosts and real proxies."""

from __future__ import annotations

import time

import pytest

from tests.egress.conftest import AUTH_PROXY_SOURCE, OPEN_PROXY_SOURCE, PASSWORD, USERNAME
from tests.egress.socks import DownProxy, Microsocks, MuteProxy
from tests.mailfarm.farm import MailFarm
from verifalia_server.engine.smtp.client import (
    ConnectFailure,
    ConnectTimeout,
    EgressFailure,
    EgressTimeout,
    SmtpSession,
)
from verifalia_server.engine.smtp.egress import Egress, SourceAddress, parse_proxy

POSTFIX = "postfix.mailfarm.net"
REFUSED = "refused.mailfarm.net"


async def _greet(farm: MailFarm, domain: str, egress: Egress, connect_timeout: float = 2.0) -> int:
    ip = farm.mx_ips(domain)[0]
    session = await SmtpSession.connect(ip, farm.smtp_port, connect_timeout, 2.0, egress=egress)
    try:
        return (await session.greeting()).code
    finally:
        await session.quit()


async def test_an_open_proxy_carries_the_session_and_the_exchanger_sees_the_proxy(
    mail_farm: MailFarm, open_proxy: Microsocks
) -> None:
    egress = parse_proxy(open_proxy.url(), source="test")

    assert await _greet(mail_farm, POSTFIX, egress) == 220
    assert mail_farm.clients(mail_farm.mx_ips(POSTFIX)[0]) == [OPEN_PROXY_SOURCE]


async def test_a_proxy_with_user_and_password_carries_the_session(
    mail_farm: MailFarm, auth_proxy: Microsocks
) -> None:
    egress = parse_proxy(auth_proxy.url(), source="test")

    assert egress.username == USERNAME
    assert egress.password == PASSWORD
    assert await _greet(mail_farm, POSTFIX, egress) == 220
    assert mail_farm.clients(mail_farm.mx_ips(POSTFIX)[0]) == [AUTH_PROXY_SOURCE]


@pytest.mark.parametrize(
    ("username", "password", "reason"),
    [
        (USERNAME, "wrong", "authentication failure"),
        ("", "", "No acceptable authentication methods"),
    ],
    ids=["wrong-password", "no-credentials"],
)
async def test_a_proxy_refusing_our_credentials_is_a_failure_of_the_proxy(
    mail_farm: MailFarm, auth_proxy: Microsocks, username: str, password: str, reason: str
) -> None:
    url = auth_proxy.url(username, password) if username else f"socks5://127.0.0.1:{auth_proxy.port}"
    egress = parse_proxy(url, source="test")

    with pytest.raises(EgressFailure) as raised:
        await _greet(mail_farm, POSTFIX, egress)

    assert reason in raised.value.detail
    assert egress.label in raised.value.detail
    assert "wrong" not in raised.value.detail
    assert mail_farm.clients(mail_farm.mx_ips(POSTFIX)[0]) == []


async def test_a_proxy_that_is_down_is_a_failure_of_the_proxy(
    mail_farm: MailFarm, down_proxy: DownProxy
) -> None:
    egress = parse_proxy(down_proxy.url(), source="test")

    with pytest.raises(EgressFailure) as raised:
        await _greet(mail_farm, POSTFIX, egress)

    assert raised.value.detail == f"proxy {egress.label}: Connection refused"
    assert raised.value.command.startswith("CONNECT ")


async def test_a_mute_proxy_times_out_as_a_failure_of_the_proxy(
    mail_farm: MailFarm, mute_proxy: MuteProxy
) -> None:
    egress = parse_proxy(mute_proxy.url(), source="test")
    started = time.monotonic()

    with pytest.raises(EgressTimeout) as raised:
        await _greet(mail_farm, POSTFIX, egress, connect_timeout=0.5)

    assert 0.4 < time.monotonic() - started < 2.0
    assert egress.label in raised.value.detail


async def test_a_refusal_relayed_by_a_working_proxy_is_the_exchangers_failure(
    mail_farm: MailFarm, open_proxy: Microsocks
) -> None:
    egress = parse_proxy(open_proxy.url(), source="test")

    with pytest.raises(ConnectFailure) as raised:
        await _greet(mail_farm, REFUSED, egress)

    assert not isinstance(raised.value, EgressFailure)
    assert raised.value.detail == f"connection refused (via proxy {egress.label})"
    assert raised.value.command == f"CONNECT {mail_farm.mx_ips(REFUSED)[0]}:{mail_farm.smtp_port}"


@pytest.mark.parametrize("source", ["127.0.0.51", "127.0.0.52"])
async def test_a_source_address_is_what_the_exchanger_sees(mail_farm: MailFarm, source: str) -> None:
    assert await _greet(mail_farm, POSTFIX, SourceAddress(source)) == 220
    assert mail_farm.clients(mail_farm.mx_ips(POSTFIX)[0]) == [source]


async def test_a_source_address_this_host_does_not_have_is_a_failure_of_the_egress(
    mail_farm: MailFarm,
) -> None:
    # RFC 5737 §3: TEST-NET-1 is never assigned to this host, so binding fails before any packet leaves.
    with pytest.raises(EgressFailure) as raised:
        await _greet(mail_farm, POSTFIX, SourceAddress("192.0.2.1"))

    assert raised.value.detail.startswith("cannot bind 192.0.2.1")
    assert mail_farm.clients(mail_farm.mx_ips(POSTFIX)[0]) == []


async def test_a_direct_refusal_is_not_a_failure_of_the_egress(mail_farm: MailFarm) -> None:
    with pytest.raises(ConnectFailure) as raised:
        await _greet(mail_farm, REFUSED, SourceAddress("127.0.0.51"))

    assert not isinstance(raised.value, EgressFailure | ConnectTimeout)
    assert raised.value.detail == "Connection refused"
