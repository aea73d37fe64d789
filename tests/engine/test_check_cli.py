"""`verifalia-server check`, run as a subprocess against the mail farm."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest

from tests.mailfarm.farm import MailFarm

FARM = "mailfarm.net"
ROOT = Path(__file__).resolve().parents[2]
ENTRY_FIELDS = {
    "index",
    "inputData",
    "status",
    "classification",
    "emailAddress",
    "emailAddressLocalPart",
    "emailAddressDomainPart",
    "asciiEmailAddressDomainPart",
    "hasInternationalMailboxName",
    "hasInternationalDomainName",
    "isDisposableEmailAddress",
    "isFreeEmailAddress",
    "isRoleAccount",
    "suggestions",
    "completedOn",
    "evidence",
}


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str


async def check(*args: str, environ: dict[str, str] | None = None, stdin: str = "") -> Run:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "verifalia_server",
        "check",
        *args,
        cwd=ROOT,
        env=os.environ | (environ or {}),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(stdin.encode()), timeout=60)
    assert process.returncode is not None
    return Run(process.returncode, stdout.decode(), stderr.decode())


async def test_plain_output_is_one_tab_separated_line_per_input(mail_farm: MailFarm) -> None:
    inputs = [f"alice@postfix.{FARM}", f"ghost@postfix.{FARM}", "not-an-address"]

    run = await check(*inputs, environ=mail_farm.engine_environ())

    assert run.code == 0
    assert run.stdout.splitlines() == [
        f"alice@postfix.{FARM}\tSuccess\tDeliverable",
        f"ghost@postfix.{FARM}\tMailboxDoesNotExist\tUndeliverable",
        "not-an-address\tAtSignNotFound\tUndeliverable",
    ]


async def test_json_lines_carry_the_entry_fields_and_evidence(mail_farm: MailFarm) -> None:
    inputs = [
        f"Alice@Postfix.{FARM}",
        f"alice@greylist.{FARM}",
        f"info@bücher.{FARM}",
        "john..doe@example.com",
    ]

    run = await check("--json", "--quality", "Standard", *inputs, environ=mail_farm.engine_environ())

    assert run.code == 0
    entries = [orjson.loads(line) for line in run.stdout.splitlines()]
    assert [entry["index"] for entry in entries] == [0, 1, 2, 3]
    assert [entry["inputData"] for entry in entries] == inputs
    accepted, greylisted, idn, broken = entries
    # The API's own v2 rendering: syntaxFailureIndex appears only on syntax failures.
    assert all(set(entry) == ENTRY_FIELDS for entry in entries[:3])
    assert set(broken) == ENTRY_FIELDS | {"syntaxFailureIndex"}
    assert accepted["status"] == "Success"
    assert accepted["emailAddressDomainPart"] == f"postfix.{FARM}"
    assert accepted["evidence"] == {
        "mxHost": f"mx.postfix.{FARM}",
        "command": f"RCPT TO:<Alice@postfix.{FARM}>",
        "replyCode": 250,
        "enhancedCode": "2.1.5",
        "replyText": "Ok",
        "egress": None,
    }
    # Standard quality re-submits the greylisted address once before giving the final verdict.
    assert greylisted["status"] == "MailboxTemporarilyUnavailable"
    assert greylisted["classification"] == "Risky"
    assert mail_farm.sessions_opened(mail_farm.mx_ips(f"greylist.{FARM}")[0]) == 2
    assert idn["asciiEmailAddressDomainPart"] == f"xn--bcher-kva.{FARM}"
    assert idn["hasInternationalDomainName"] is True
    assert idn["isRoleAccount"] is True
    assert broken["status"] == "DoubleDotSequence"
    assert broken["syntaxFailureIndex"] == 5
    assert broken["evidence"] is None


async def test_dash_reads_addresses_from_stdin(mail_farm: MailFarm) -> None:
    stdin = f"alice@postfix.{FARM}\n\nbob@exim.{FARM}\r\n"

    run = await check("-", f"ghost@exim.{FARM}", environ=mail_farm.engine_environ(), stdin=stdin)

    assert run.code == 0
    assert [line.split("\t")[:2] for line in run.stdout.splitlines()] == [
        [f"alice@postfix.{FARM}", "Success"],
        [f"bob@exim.{FARM}", "Success"],
        [f"ghost@exim.{FARM}", "MailboxDoesNotExist"],
    ]


async def test_offline_uses_no_network(mail_farm: MailFarm) -> None:
    inputs = [f"alice@postfix.{FARM}", "a@mailinator.com", "john@gmial.com", "Mary@gmial.com", "x@[10.0.0.1]"]

    run = await check("--offline", "--json", *inputs, environ=mail_farm.engine_environ())

    assert run.code == 0
    local, disposable, john, mary, literal = (orjson.loads(line) for line in run.stdout.splitlines())
    assert local["status"] == "Success"
    assert disposable["status"] == "DomainIsWellKnownDea"
    assert disposable["isDisposableEmailAddress"] is True
    # Each address gets its own local part at the corrected domain.
    assert (john["suggestions"], mary["suggestions"]) == (["john@gmail.com"], ["Mary@gmail.com"])
    assert (literal["status"], literal["suggestions"]) == ("UnacceptableDomainLiteral", [])
    assert mail_farm.sessions_opened(mail_farm.mx_ips(f"postfix.{FARM}")[0]) == 0


async def test_configuration_error_is_one_line_and_exit_status_2() -> None:
    run = await check("alice@example.org", environ={"VERIFALIA_SMTP_PORT": "twenty-five"})

    assert run.code == 2
    assert run.stdout == ""
    assert len(run.stderr.splitlines()) == 1
    assert "VERIFALIA_SMTP_PORT" in run.stderr


@pytest.mark.parametrize("args", [(), ("--quality", "best", "a@example.org")])
async def test_usage_errors_exit_with_status_2(args: tuple[str, ...]) -> None:
    run = await check(*args)

    assert run.code == 2
    assert run.stdout == ""
    assert "usage" in run.stderr
