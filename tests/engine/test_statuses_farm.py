"""Every status the engine can produce, each reached through a staged scenario (the status table).

Every row runs through `Engine.verify_batch`, against the test mail farm when it needs DNS or SMTP.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.mailfarm.farm import MailFarm
from verifalia_server.engine import (
    Classification,
    Engine,
    EngineConfig,
    Evidence,
    Status,
    VerificationRequest,
    classify,
)
from verifalia_server.engine.lists import Lists

Result = tuple[Status, Evidence | None]
Runner = Callable[[MailFarm, Path, str], Awaitable[Result]]

FAST = {
    "VERIFALIA_SMTP_CONNECT_TIMEOUT": "0.5",
    "VERIFALIA_SMTP_COMMAND_TIMEOUT": "0.5",
    "VERIFALIA_DNS_TIMEOUT": "0.5",
}
# Standard quality retries once, so attempt 1 is the last pass: every verdict comes back final.
LAST_ATTEMPT = 1


def farm(**overrides: str) -> Runner:
    """Verify through the farm with its environment, shortened timeouts and `overrides`."""

    async def run(mail_farm: MailFarm, tmp_path: Path, address: str) -> Result:
        config = EngineConfig.from_env(mail_farm.engine_environ() | FAST | overrides)
        return await _verify(Engine(config), address)

    return run


def farm_with_lists(*operator_lines: str) -> Runner:
    """Verify through the farm with an operator lists file holding `operator_lines`."""

    async def run(mail_farm: MailFarm, tmp_path: Path, address: str) -> Result:
        lists_file = tmp_path / "lists.txt"
        lists_file.write_text("\n".join(operator_lines) + "\n", encoding="utf-8")
        config = EngineConfig.from_env(mail_farm.engine_environ() | FAST)
        return await _verify(Engine(config, Lists.load(str(lists_file))), address)

    return run


async def greylisted_probe(mail_farm: MailFarm, tmp_path: Path, address: str) -> Result:
    """The target already passed greylisting (an earlier pass), the catch-all probe is deferred now."""
    mail_farm.set_greylist_delay(0.0)
    environ = mail_farm.engine_environ() | FAST
    earlier = Engine(EngineConfig.from_env(environ))
    await earlier.verify_batch([VerificationRequest(address)])
    # A second engine draws another random probe address, which the greylist has never seen.
    return await _verify(Engine(EngineConfig.from_env(environ)), address)


async def _verify(engine: Engine, address: str) -> Result:
    [verdict] = await engine.verify_batch([VerificationRequest(address, attempt=LAST_ATTEMPT)])
    assert verdict.is_final
    return verdict.status, verdict.evidence


@dataclass(frozen=True)
class Row:
    """One status, the scenario that produces it, and what the verdict must carry."""

    status: Status
    classification: Classification
    scenario: str
    address: str
    run: Runner = field(default_factory=farm)
    # Expected evidence fields; `command` is a prefix and `reply_text` a fragment. None: no evidence at all.
    evidence: dict[str, object] | None = field(default_factory=dict)
    # SMTP sessions the domain's first exchanger must have seen; None: not checked.
    sessions: int | None = None


def _rcpt(host: str, address: str, code: int, enhanced: str | None, text: str) -> dict[str, object]:
    return {
        "mx_host": host,
        "command": f"RCPT TO:<{address}>",
        "reply_code": code,
        "enhanced_code": enhanced,
        "reply_text": text,
    }


D, R, U, K = (
    Classification.DELIVERABLE,
    Classification.RISKY,
    Classification.UNDELIVERABLE,
    Classification.UNKNOWN,
)
S = Status
FARM = "mailfarm.net"

ROWS: tuple[Row, ...] = (
    Row(
        S.SUCCESS,
        D,
        "Postfix accepts an existing mailbox, rejects the probe",
        f"alice@postfix.{FARM}",
        evidence=_rcpt(f"mx.postfix.{FARM}", f"alice@postfix.{FARM}", 250, "2.1.5", "Ok"),
    ),
    Row(
        S.SUCCESS,
        D,
        "STARTTLS required before MAIL: upgraded, then accepted",
        f"alice@starttls.{FARM}",
        evidence=_rcpt(f"mx.starttls.{FARM}", f"alice@starttls.{FARM}", 250, "2.1.5", "Ok"),
    ),
    Row(
        S.SUCCESS,
        D,
        "EHLO unknown: HELO fallback",
        f"bob@heloonly.{FARM}",
        evidence=_rcpt(f"mx.heloonly.{FARM}", f"bob@heloonly.{FARM}", 250, "2.1.5", "Ok"),
    ),
    Row(
        S.SUCCESS,
        D,
        "primary MX refuses connections: next MX by preference",
        f"alice@multimx.{FARM}",
        evidence=_rcpt(f"mx2.multimx.{FARM}", f"alice@multimx.{FARM}", 250, "2.1.5", "Ok"),
    ),
    Row(
        S.SUCCESS,
        D,
        "no MX, A record: implicit MX",
        f"info@aonly.{FARM}",
        evidence=_rcpt(f"aonly.{FARM}", f"info@aonly.{FARM}", 250, "2.1.5", "Ok"),
    ),
    Row(
        S.SUCCESS,
        D,
        "IDN domain asked in A-labels",
        f"alice@bücher.{FARM}",
        evidence=_rcpt(f"mx.xn--bcher-kva.{FARM}", f"alice@xn--bcher-kva.{FARM}", 250, "2.1.5", "Ok"),
    ),
    Row(
        S.SUCCESS,
        D,
        "UTF-8 mailbox on a server advertising SMTPUTF8",
        f"josé@utf8.{FARM}",
        evidence=_rcpt(f"mx.utf8.{FARM}", f"josé@utf8.{FARM}", 250, "2.1.5", "Ok"),
    ),
    Row(S.AT_SIGN_NOT_FOUND, U, "RFC 5322 §3.4.1: no @", "alice.example.com", evidence=None),
    Row(S.DOUBLE_DOT_SEQUENCE, U, "RFC 5322 §3.2.3: empty atom", "alice..doe@example.com", evidence=None),
    Row(
        S.INVALID_LOCAL_PART_LENGTH,
        U,
        "RFC 5321 §4.5.3.1.1: 65 octets",
        "a" * 65 + "@example.com",
        evidence=None,
    ),
    Row(
        S.INVALID_ADDRESS_LENGTH,
        U,
        "RFC 5321 §4.5.3.1.3: path over 254 octets",
        "a" * 64 + "@" + ".".join(["b" * 63] * 3) + ".com",
        evidence=None,
    ),
    Row(
        S.UNBALANCED_COMMENT_PARENTHESIS,
        U,
        "RFC 5322 §3.2.2: open comment",
        "alice(doe@example.com",
        evidence=None,
    ),
    Row(
        S.UNMATCHED_QUOTED_PAIR,
        U,
        "RFC 5322 §3.2.4: unterminated quoted string",
        '"alice\\"@example.com',
        evidence=None,
    ),
    Row(
        S.INVALID_CHARACTER_IN_SEQUENCE,
        U,
        "RFC 5322 §3.2.3: comma in an atom",
        "al,ice@example.com",
        evidence=None,
    ),
    Row(
        S.INVALID_WORD_BOUNDARY_START, U, "RFC 5322 §3.4.1: leading dot", ".alice@example.com", evidence=None
    ),
    Row(
        S.INVALID_EMPTY_QUOTED_WORD,
        U,
        "RFC 5321 §4.1.2: empty quoted string",
        '""@example.com',
        evidence=None,
    ),
    Row(
        S.INVALID_FOLDING_WHITE_SPACE_SEQUENCE,
        U,
        "RFC 5322 §3.2.2: CRLF not followed by WSP",
        "alice\r\nb@example.com",
        evidence=None,
    ),
    Row(
        S.UNEXPECTED_QUOTED_PAIR_SEQUENCE,
        U,
        "RFC 5322 §3.2.1: quoted pair outside quotes",
        "ali\\ce@example.com",
        evidence=None,
    ),
    Row(
        S.DOMAIN_PART_COMPLIANCY_FAILURE,
        U,
        "RFC 1035 §2.3.1: label starts with a hyphen",
        "alice@-example.com",
        evidence=None,
    ),
    Row(
        S.UNACCEPTABLE_DOMAIN_LITERAL,
        U,
        "address literal instead of a domain",
        "alice@[127.0.0.1]",
        evidence=None,
    ),
    Row(
        S.DOMAIN_DOES_NOT_EXIST,
        U,
        "NXDOMAIN",
        f"alice@nonexistent.{FARM}",
        evidence={"command": f"MX nonexistent.{FARM}", "reply_text": "NXDOMAIN"},
    ),
    Row(
        S.DOMAIN_DOES_NOT_EXIST,
        U,
        "RFC 6762 special-use .local: no query",
        "alice@printer.local",
        evidence={"mx_host": None, "command": None, "reply_text": "special-use"},
    ),
    Row(
        S.DOMAIN_HAS_NULL_MX,
        U,
        "RFC 7505 null MX",
        f"alice@nullmx.{FARM}",
        evidence={"command": f"MX nullmx.{FARM}", "reply_text": "0 ."},
    ),
    Row(
        S.DOMAIN_IS_MISCONFIGURED,
        U,
        "MX target is NXDOMAIN",
        f"alice@badmx.{FARM}",
        evidence={"command": f"MX badmx.{FARM}", "reply_text": "do not resolve"},
    ),
    Row(
        S.DOMAIN_IS_MISCONFIGURED,
        U,
        "MX resolves to a private address, private MX not allowed",
        f"alice@privatemx.{FARM}",
        farm(VERIFALIA_ALLOW_PRIVATE_MX="0"),
        evidence={"command": f"MX privatemx.{FARM}", "reply_text": "non-public"},
    ),
    Row(
        S.DNS_QUERY_TIMEOUT,
        K,
        "the name server never answers",
        f"alice@timeout.{FARM}",
        evidence={"command": f"MX timeout.{FARM}", "reply_text": "timeout"},
    ),
    Row(
        S.DNS_CONNECTION_FAILURE,
        K,
        "SERVFAIL",
        f"alice@servfail.{FARM}",
        evidence={"command": f"MX servfail.{FARM}", "reply_text": "SERVFAIL"},
    ),
    Row(
        S.DOMAIN_IS_WELL_KNOWN_DEA,
        R,
        "community disposable list, no network",
        "alice@mailinator.com",
        evidence=None,
    ),
    Row(
        S.MAIL_EXCHANGER_IS_WELL_KNOWN_DEA,
        R,
        "MX host listed as disposable by the operator",
        f"alice@exim.{FARM}",
        farm_with_lists(f"+disposable mx.exim.{FARM}"),
        evidence={"mx_host": f"mx.exim.{FARM}", "command": None},
    ),
    Row(
        S.SMTP_CONNECTION_TIMEOUT,
        K,
        "tarpit: banner after 10 s",
        f"alice@tarpit.{FARM}",
        evidence={"mx_host": f"mx.tarpit.{FARM}", "command": "CONNECT", "reply_code": None},
    ),
    Row(
        S.SMTP_CONNECTION_TIMEOUT,
        K,
        "connection accepted, never a word",
        f"alice@silent.{FARM}",
        evidence={"mx_host": f"mx.silent.{FARM}", "command": "CONNECT", "reply_code": None},
    ),
    Row(
        S.SMTP_CONNECTION_FAILURE,
        K,
        "connection refused",
        f"alice@refused.{FARM}",
        evidence={"mx_host": f"mx.refused.{FARM}", "command": "CONNECT 127.0.3.1:", "reply_code": None},
    ),
    Row(
        S.SMTP_CONNECTION_FAILURE,
        K,
        "private MX allowed: the exchanger stays on loopback and refuses",
        f"alice@privatemx.{FARM}",
        evidence={"mx_host": f"mx.privatemx.{FARM}", "command": "CONNECT 127.0.3.3:", "reply_code": None},
    ),
    Row(
        S.SMTP_DIALOG_ERROR,
        K,
        "non-SMTP bytes in reply to EHLO",
        f"alice@garbage.{FARM}",
        evidence={
            "mx_host": f"mx.garbage.{FARM}",
            "command": "EHLO ",
            "reply_code": None,
            "reply_text": "HTTP/1.1 400",
        },
    ),
    Row(
        S.LOCAL_END_POINT_REJECTED,
        K,
        "554 5.7.1 client blocked using a DNSBL",
        f"alice@blocklisted.{FARM}",
        evidence=_rcpt(f"mx.blocklisted.{FARM}", f"alice@blocklisted.{FARM}", 554, "5.7.1", "spamhaus"),
    ),
    Row(
        S.SERVER_TEMPORARY_UNAVAILABLE,
        K,
        "421 at the banner",
        f"alice@banner421.{FARM}",
        evidence={
            "mx_host": f"mx.banner421.{FARM}",
            "command": "CONNECT",
            "reply_code": 421,
            "enhanced_code": "4.3.2",
        },
    ),
    Row(
        S.MAILBOX_DOES_NOT_EXIST,
        U,
        "Postfix 550 5.1.1",
        f"nobody@postfix.{FARM}",
        evidence=_rcpt(f"mx.postfix.{FARM}", f"nobody@postfix.{FARM}", 550, "5.1.1", "User unknown"),
    ),
    Row(
        S.MAILBOX_DOES_NOT_EXIST,
        U,
        "Exim 550 without enhanced code: text rule",
        f"nobody@exim.{FARM}",
        evidence=_rcpt(f"mx.exim.{FARM}", f"nobody@exim.{FARM}", 550, None, "Unrouteable address"),
    ),
    Row(
        S.MAILBOX_DOES_NOT_EXIST,
        U,
        "Gmail multiline 550-5.1.1",
        f"nobody@gmail.{FARM}",
        evidence=_rcpt(f"mx.gmail.{FARM}", f"nobody@gmail.{FARM}", 550, "5.1.1", "does not exist"),
    ),
    Row(
        S.MAILBOX_DOES_NOT_EXIST,
        U,
        "Microsoft 365 directory-based edge block 5.4.1",
        f"nobody@m365.{FARM}",
        evidence=_rcpt(f"mx.m365.{FARM}", f"nobody@m365.{FARM}", 550, "5.4.1", "Access denied"),
    ),
    Row(
        S.MAILBOX_DOES_NOT_EXIST,
        U,
        "Yahoo 554 without enhanced code: text rule",
        f"nobody@yahoo.{FARM}",
        evidence=_rcpt(f"mx.yahoo.{FARM}", f"nobody@yahoo.{FARM}", 554, None, "doesn't have a yahoo.com"),
    ),
    Row(
        S.MAILBOX_DOES_NOT_EXIST,
        U,
        "550 5.1.1 then the server hangs up",
        f"nobody@dropafter5xx.{FARM}",
        evidence=_rcpt(f"mx.dropafter5xx.{FARM}", f"nobody@dropafter5xx.{FARM}", 550, "5.1.1", "unknown"),
    ),
    Row(
        S.LOCAL_SENDER_ADDRESS_REJECTED,
        K,
        "553 5.7.1 at MAIL FROM",
        f"alice@senderrejected.{FARM}",
        evidence={
            "mx_host": f"mx.senderrejected.{FARM}",
            "command": "MAIL FROM:<probe@verifier.mailfarm.net>",
            "reply_code": 553,
            "enhanced_code": "5.7.1",
            "reply_text": "not owned by user",
        },
    ),
    Row(
        S.MAILBOX_TEMPORARILY_UNAVAILABLE,
        R,
        "greylisted on the last pass",
        f"alice@greylist.{FARM}",
        evidence=_rcpt(f"mx.greylist.{FARM}", f"alice@greylist.{FARM}", 450, "4.7.1", "Greylisted"),
    ),
    Row(
        S.SERVER_DOES_NOT_SUPPORT_INTERNATIONAL_MAILBOXES,
        K,
        "UTF-8 mailbox, no SMTPUTF8 advertised",
        f"josé@noutf8.{FARM}",
        evidence={"mx_host": f"mx.noutf8.{FARM}", "command": "EHLO ", "reply_code": 250},
    ),
    Row(
        S.MAILBOX_HAS_INSUFFICIENT_STORAGE,
        R,
        "452 4.2.2 mailbox full",
        f"full@full.{FARM}",
        evidence=_rcpt(f"mx.full.{FARM}", f"full@full.{FARM}", 452, "4.2.2", "Mailbox full"),
    ),
    Row(
        S.SERVER_IS_CATCH_ALL,
        R,
        "the random probe is accepted too",
        f"anyone@catchall.{FARM}",
        evidence={"mx_host": f"mx.catchall.{FARM}", "command": "RCPT TO:<", "reply_code": 250},
    ),
    Row(
        S.CATCH_ALL_VALIDATION_TIMEOUT,
        K,
        "target past greylisting, probe greylisted",
        f"alice@greylist.{FARM}",
        greylisted_probe,
        evidence={"mx_host": f"mx.greylist.{FARM}", "reply_code": 450, "reply_text": "Greylisted"},
    ),
    Row(
        S.CATCH_ALL_VALIDATION_TIMEOUT,
        K,
        "target accepted, the probe's RCPT never answered",
        f"alice@hangonrcpt.{FARM}",
        evidence={"mx_host": f"mx.hangonrcpt.{FARM}", "command": "RCPT TO:<", "reply_code": None},
    ),
    Row(
        S.CATCH_ALL_CONNECTION_FAILURE,
        K,
        "target accepted, the connection dropped at every probe RCPT",
        f"alice@dropbeforereply.{FARM}",
        evidence={"mx_host": f"mx.dropbeforereply.{FARM}", "command": "RCPT TO:<", "reply_code": None},
        # The first session answered the target; each later one dies at the probe, the last gives up.
        sessions=3,
    ),
    Row(
        S.MAILBOX_VALIDATION_TIMEOUT,
        K,
        "RCPT never answered",
        f"bob@hangonrcpt.{FARM}",
        evidence={
            "mx_host": f"mx.hangonrcpt.{FARM}",
            "command": f"RCPT TO:<bob@hangonrcpt.{FARM}>",
            "reply_code": None,
        },
    ),
    Row(
        S.MAILBOX_CONNECTION_FAILURE,
        K,
        "connection dropped at RCPT, again after reconnecting",
        f"bob@dropbeforereply.{FARM}",
        evidence={
            "mx_host": f"mx.dropbeforereply.{FARM}",
            "command": f"RCPT TO:<bob@dropbeforereply.{FARM}>",
            "reply_code": None,
        },
        sessions=2,
    ),
)

# Statuses the engine never produces, and why.
NOT_PRODUCED = {
    S.ISP_SPECIFIC_SYNTAX_FAILURE: "no provider-specific syntax rules",
    S.LOCAL_PART_IS_WELL_KNOWN_ROLE_ACCOUNT: "role accounts are a flag (isRoleAccount), not a status",
    S.MAILBOX_IS_DEA: "no per-mailbox disposable data",
    S.MAIL_EXCHANGER_IS_HONEYPOT: "no honeypot data",
    S.MAIL_EXCHANGER_IS_PARKED: "no parked-domain data",
    S.OVERRIDE_MATCH: "overrides belong to the job service",
    S.DUPLICATE: "duplicates are marked by the job service",
    S.UNHANDLED_EXCEPTION: "engine errors propagate to the caller",
    S.HTTP_CONNECTION_TIMEOUT: "v1.4 only",
    S.HTTP_CONNECTION_FAILURE: "v1.4 only",
}


def test_the_table_covers_every_status_the_engine_produces() -> None:
    assert {row.status for row in ROWS} == set(Status) - set(NOT_PRODUCED)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("row", ROWS, ids=[f"{row.status.value}-{row.scenario}" for row in ROWS])
async def test_status_scenario(row: Row, mail_farm: MailFarm, tmp_path: Path) -> None:
    status, evidence = await row.run(mail_farm, tmp_path, row.address)

    assert status is row.status
    assert classify(status) is row.classification
    if row.sessions is not None:
        domain = row.address.rpartition("@")[2]
        assert mail_farm.sessions_opened(mail_farm.mx_ips(domain)[0]) == row.sessions
    if row.evidence is None:
        assert evidence is None
        return
    assert evidence is not None
    for name, expected in row.evidence.items():
        actual = getattr(evidence, name)
        if name == "command" and isinstance(expected, str):
            assert str(actual).startswith(expected), (name, actual)
        elif name == "reply_text" and isinstance(expected, str):
            assert expected in str(actual), (name, actual)
        else:
            assert actual == expected, (name, actual)
