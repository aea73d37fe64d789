"""Every SMTP scenario of the status table, through SOCKS5 proxies: the same verdicts as direct."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from tests.egress.conftest import AUTH_PROXY_SOURCE, OPEN_PROXY_SOURCE
from tests.egress.socks import DownProxy, Microsocks
from tests.engine.test_check_cli import check
from tests.engine.test_statuses_farm import ROWS, Row
from tests.mailfarm.farm import MailFarm

# Commands whose evidence the session opening itself produces (the rest come from RCPT).
_OPENING_COMMANDS = ("CONNECT", "EHLO", "MAIL")
_SMTP_COMMANDS = (*_OPENING_COMMANDS, "RCPT")


def _reaches_smtp(row: Row) -> bool:
    evidence = row.evidence or {}
    return "reply_code" in evidence or str(evidence.get("command", "")).startswith(_SMTP_COMMANDS)


SMTP_ROWS = [row for row in ROWS if _reaches_smtp(row)]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("row", SMTP_ROWS, ids=[f"{row.status.value}-{row.scenario}" for row in SMTP_ROWS])
@pytest.mark.parametrize("authenticated", [False, True], ids=["open", "auth"])
async def test_a_scenario_through_a_proxy_ends_as_it_does_direct(
    row: Row,
    authenticated: bool,
    mail_farm: MailFarm,
    open_proxy: Microsocks,
    auth_proxy: Microsocks,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    proxy, proxy_source = (
        (auth_proxy, AUTH_PROXY_SOURCE) if authenticated else (open_proxy, OPEN_PROXY_SOURCE)
    )
    direct_environ = mail_farm.engine_environ()
    monkeypatch.setattr(
        mail_farm, "engine_environ", lambda: direct_environ | {"VERIFALIA_SMTP_PROXY": proxy.url()}
    )

    status, evidence = await row.run(mail_farm, tmp_path, row.address)

    assert status is row.status
    assert evidence is not None
    assert row.evidence is not None
    for name, expected in row.evidence.items():
        actual = getattr(evidence, name)
        if name == "command" and isinstance(expected, str):
            assert str(actual).startswith(expected), (name, actual)
        elif name == "reply_text" and isinstance(expected, str):
            assert expected in str(actual), (name, actual)
        else:
            assert actual == expected, (name, actual)
    if str(evidence.command).startswith(_OPENING_COMMANDS):
        assert evidence.egress == proxy.label
    clients = {client for ip in mail_farm.catalogue.hosts for client in mail_farm.clients(ip)}
    assert clients <= {proxy_source}


async def test_check_json_names_the_proxy_in_the_evidence(
    mail_farm: MailFarm, open_proxy: Microsocks, down_proxy: DownProxy
) -> None:
    address = "alice@senderrejected.mailfarm.net"
    through_open = await check(
        "--json", address, environ=mail_farm.engine_environ() | {"VERIFALIA_SMTP_PROXY": open_proxy.url()}
    )
    through_down = await check(
        "--json", address, environ=mail_farm.engine_environ() | {"VERIFALIA_SMTP_PROXY": down_proxy.url()}
    )

    [rejected] = [orjson.loads(line) for line in through_open.stdout.splitlines()]
    [failed] = [orjson.loads(line) for line in through_down.stdout.splitlines()]
    assert rejected["status"] == "LocalSenderAddressRejected"
    assert rejected["evidence"]["egress"] == open_proxy.label
    assert failed["status"] == "SmtpConnectionFailure"
    assert failed["classification"] == "Unknown"
    assert failed["evidence"] == {
        "mxHost": "mx.senderrejected.mailfarm.net",
        "command": f"CONNECT {mail_farm.mx_ips('senderrejected.mailfarm.net')[0]}:{mail_farm.smtp_port}",
        "replyCode": None,
        "enhancedCode": None,
        "replyText": f"proxy {down_proxy.url()}: Connection refused",
        "egress": down_proxy.url(),
    }


async def test_check_refuses_a_bad_proxy_setting() -> None:
    run = await check("alice@postfix.mailfarm.net", environ={"VERIFALIA_SMTP_PROXY": "socks5h://127.0.0.1:1"})

    assert run.code == 2
    assert "VERIFALIA_SMTP_PROXY: socks5h is not supported" in run.stderr
    assert run.stdout == ""
