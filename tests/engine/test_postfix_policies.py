"""The engine against real Postfix policies: STARTTLS offered and required, sender, client and recipient
access maps, and SMTPUTF8 advertised or not.

Each test states the exact status and evidence (command, reply code, enhanced status code, reply text) a
correct verifier gets from Postfix's own replies; a refusal of the client or of the sender is never a
mailbox verdict.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from pathlib import Path

from tests.mailfarm.farm import MAIL_FROM
from tests.mta.farm import MtaFarm
from tests.mta.fixtures import MtaFarmFactory
from tests.mta.scenario import (
    Profile,
    Scenario,
    ScenarioBuilder,
    client_access,
    recipient_access,
    sender_access,
    smtputf8,
    starttls,
)
from tests.mta.tables import write_texthash
from verifalia_server.cli.check import verify_all
from verifalia_server.engine import Engine, EngineConfig, Quality, Status
from verifalia_server.engine.verdict import Evidence, Verdict

MAILBOXES = ("alice", "bob")
MISSING = "nobody"
MAIL_COMMAND = f"MAIL FROM:<{MAIL_FROM}>"
# The engine's own address as Postfix's smtpd sees it behind the relay, with no reverse lookup.
CLIENT = "127.0.0.1"
CLIENT_NAME = f"unknown[{CLIENT}]"
TLS_ESTABLISHED = re.compile(rf"TLS connection established from {re.escape(CLIENT_NAME)}: TLSv1\.[23] ")


def one_host(name: str, profile: Profile, mailboxes: Iterable[str] = MAILBOXES) -> Scenario:
    """One exchanger `mx-<name>` of `profile` serving domain `<name>` with `mailboxes`."""
    builder = ScenarioBuilder(name)
    host = builder.add_host(f"mx-{name}", profile)
    builder.add_domain(name, [host], mailboxes)
    return builder.build()


def engine_for(farm: MtaFarm, **environ: str) -> Engine:
    return Engine(EngineConfig.from_env({**farm.engine_environ(), **environ}))


SENDER_REFUSED = f"<{MAIL_FROM}>: Sender address rejected: Access denied"
CLIENT_REFUSED = f"<{CLIENT_NAME}>: Client host rejected: Access denied"


def assert_refused(
    found: dict[str, Verdict], status: Status, text: str, *, rcpt: bool = False, command: str = ""
) -> None:
    """Every verdict is `status`, decided by Postfix's 554 5.7.1 `text` to `command` (or to its RCPT TO)."""
    for verdict in found.values():
        assert verdict.status is status, verdict
        evidence = evidence_of(verdict)
        assert evidence.command == (f"RCPT TO:<{verdict.input_data}>" if rcpt else command)
        assert (evidence.reply_code, evidence.enhanced_code) == (554, "5.7.1")
        assert evidence.reply_text is not None
        assert text in evidence.reply_text


async def verdicts(engine: Engine, farm: MtaFarm, local_parts: Iterable[str]) -> dict[str, Verdict]:
    """The engine's verdict for each local part at the farm's only domain, by local part."""
    domain = farm.scenario.domains[0].name
    addresses = [f"{local_part}@{domain}" for local_part in local_parts]
    found = await verify_all(engine, addresses, Quality.STANDARD)
    return {verdict.input_data.split("@")[0]: verdict for verdict in found}


def evidence_of(verdict: Verdict) -> Evidence:
    assert verdict.evidence is not None, verdict
    return verdict.evidence


def tls_sessions(farm: MtaFarm) -> int:
    """TLS handshakes the farm's only listener logged (`smtpd_tls_loglevel = 1`)."""
    tag = f" postfix/{farm.scenario.hosts[0].name}/smtpd["
    return sum(1 for line in farm.log.lines() if tag in line and TLS_ESTABLISHED.search(line))


async def every_session_was_tls(farm: MtaFarm) -> bool:
    """Whether Postfix logged a TLS handshake for every session the relay carried (it logs asynchronously)."""
    opened = farm.sessions_opened(farm.scenario.hosts[0].address)
    for _ in range(100):
        if tls_sessions(farm) >= opened:
            break
        await asyncio.sleep(0.05)
    return opened >= 1 and tls_sessions(farm) == opened


async def test_offered_starttls_is_taken_and_the_mailboxes_answer(mta_farm_factory: MtaFarmFactory) -> None:
    farm = await mta_farm_factory(one_host("tls-may", starttls("may")))

    found = await verdicts(engine_for(farm), farm, [*MAILBOXES, MISSING])

    assert {local: verdict.status for local, verdict in found.items()} == {
        "alice": Status.SUCCESS,
        "bob": Status.SUCCESS,
        MISSING: Status.MAILBOX_DOES_NOT_EXIST,
    }
    accepted = evidence_of(found["alice"])
    assert (accepted.reply_code, accepted.enhanced_code) == (250, "2.1.5")
    refused = evidence_of(found[MISSING])
    assert (refused.reply_code, refused.enhanced_code) == (550, "5.1.1")
    # RFC 3207 §4.2: every session upgraded before MAIL FROM; Postfix logged each handshake.
    assert await every_session_was_tls(farm)
    assert [line for line in farm.log.lines() if "warning:" in line and "tls" in line.lower()] == []


async def test_required_starttls_refuses_a_client_that_does_not_use_it(
    mta_farm_factory: MtaFarmFactory,
) -> None:
    farm = await mta_farm_factory(one_host("tls-encrypt", starttls("encrypt")))

    found = await verdicts(engine_for(farm, VERIFALIA_SMTP_STARTTLS="0"), farm, [*MAILBOXES, MISSING])

    # RFC 3207 §4: 530 refuses the client until it negotiates TLS; no mailbox was asked.
    for verdict in found.values():
        assert verdict.status is Status.LOCAL_END_POINT_REJECTED, verdict
        evidence = evidence_of(verdict)
        assert evidence.command == MAIL_COMMAND
        assert (evidence.reply_code, evidence.enhanced_code) == (530, "5.7.0")
        assert evidence.reply_text is not None
        assert "Must issue a STARTTLS command first" in evidence.reply_text
    assert tls_sessions(farm) == 0


async def test_required_starttls_is_met_by_the_engine(mta_farm_factory: MtaFarmFactory) -> None:
    farm = await mta_farm_factory(one_host("tls-encrypt", starttls("encrypt")))

    found = await verdicts(engine_for(farm), farm, [*MAILBOXES, MISSING])

    assert {local: verdict.status for local, verdict in found.items()} == {
        "alice": Status.SUCCESS,
        "bob": Status.SUCCESS,
        MISSING: Status.MAILBOX_DOES_NOT_EXIST,
    }
    assert await every_session_was_tls(farm)


async def test_a_refused_sender_is_named_at_rcpt(mta_farm_factory: MtaFarmFactory, tmp_path: Path) -> None:
    # smtpd_delay_reject = yes (Postfix's default): the sender's refusal comes as the reply to RCPT TO.
    table = write_texthash(tmp_path, "senders", {MAIL_FROM: "REJECT"})
    farm = await mta_farm_factory(one_host("sender-rcpt", sender_access(table)))

    found = await verdicts(engine_for(farm), farm, [*MAILBOXES, MISSING])

    assert_refused(found, Status.LOCAL_SENDER_ADDRESS_REJECTED, SENDER_REFUSED, rcpt=True)


async def test_a_refused_sender_is_named_at_mail_from(
    mta_farm_factory: MtaFarmFactory, tmp_path: Path
) -> None:
    table = write_texthash(tmp_path, "senders", {MAIL_FROM: "REJECT"})
    farm = await mta_farm_factory(one_host("sender-mail", sender_access(table, delay_reject=False)))

    found = await verdicts(engine_for(farm), farm, [*MAILBOXES, MISSING])

    assert_refused(found, Status.LOCAL_SENDER_ADDRESS_REJECTED, SENDER_REFUSED, command=MAIL_COMMAND)


async def test_a_refused_client_is_never_a_mailbox_verdict(
    mta_farm_factory: MtaFarmFactory, tmp_path: Path
) -> None:
    # smtpd_delay_reject = yes: the client's refusal comes as the reply to each RCPT TO, for existing and
    # missing mailboxes alike.
    table = write_texthash(tmp_path, "clients", {CLIENT: "REJECT"})
    farm = await mta_farm_factory(one_host("client-rcpt", client_access(table)))

    found = await verdicts(engine_for(farm), farm, [*MAILBOXES, MISSING])

    assert_refused(found, Status.LOCAL_END_POINT_REJECTED, CLIENT_REFUSED, rcpt=True)


async def test_a_client_refused_in_the_greeting_is_rejected(
    mta_farm_factory: MtaFarmFactory, tmp_path: Path
) -> None:
    # smtpd_delay_reject = no: Postfix greets the refused client with 554 (RFC 5321 §3.1).
    table = write_texthash(tmp_path, "clients", {CLIENT: "REJECT"})
    farm = await mta_farm_factory(one_host("client-connect", client_access(table, delay_reject=False)))

    found = await verdicts(engine_for(farm), farm, [*MAILBOXES, MISSING])

    assert_refused(found, Status.LOCAL_END_POINT_REJECTED, CLIENT_REFUSED, command="CONNECT")


async def test_a_utf8_mailbox_is_asked_with_smtputf8(mta_farm_factory: MtaFarmFactory) -> None:
    # strict_smtputf8 = yes: Postfix answers a UTF-8 address in a transaction not announced as SMTPUTF8
    # (RFC 6531 §3.4) with "553 5.6.7 Must declare SMTPUTF8 to send unicode address", so Success proves
    # the engine sent the parameter.
    farm = await mta_farm_factory(one_host("utf8", smtputf8(True), [*MAILBOXES, "jörg"]))

    found = await verdicts(engine_for(farm), farm, ["jörg", "józef", "alice"])

    assert {local: verdict.status for local, verdict in found.items()} == {
        "jörg": Status.SUCCESS,
        "józef": Status.MAILBOX_DOES_NOT_EXIST,
        "alice": Status.SUCCESS,
    }
    accepted = evidence_of(found["jörg"])
    assert (accepted.reply_code, accepted.enhanced_code) == (250, "2.1.5")
    refused = evidence_of(found["józef"])
    assert (refused.reply_code, refused.enhanced_code) == (550, "5.1.1")


async def test_a_utf8_mailbox_on_a_server_without_smtputf8(mta_farm_factory: MtaFarmFactory) -> None:
    farm = await mta_farm_factory(one_host("ascii", smtputf8(False), [*MAILBOXES, "jörg"]))

    found = await verdicts(engine_for(farm), farm, ["jörg", "alice"])

    # RFC 6531 §3.4: a UTF-8 mailbox cannot be asked of a server that does not advertise SMTPUTF8.
    assert found["jörg"].status is Status.SERVER_DOES_NOT_SUPPORT_INTERNATIONAL_MAILBOXES
    hello = evidence_of(found["jörg"])
    assert hello.command == "EHLO verifier.mailfarm.net"
    assert hello.reply_code == 250
    assert found["alice"].status is Status.SUCCESS


async def test_a_recipient_refused_by_an_access_map(mta_farm_factory: MtaFarmFactory, tmp_path: Path) -> None:
    builder = ScenarioBuilder("recipient-access")
    closed = "closed@recipient-access.mta.mailfarm.net"
    table = write_texthash(tmp_path, "recipients", {closed: "REJECT This mailbox is closed by policy"})
    host = builder.add_host("mx-recipient-access", recipient_access(table))
    builder.add_domain("recipient-access", [host], [*MAILBOXES, "closed"])
    farm = await mta_farm_factory(builder.build())

    found = await verdicts(engine_for(farm), farm, ["closed", "alice", MISSING])

    # The README's reply table: 5.7.x is a refusal by policy, not a mailbox verdict.
    assert {local: verdict.status for local, verdict in found.items()} == {
        "closed": Status.LOCAL_END_POINT_REJECTED,
        "alice": Status.SUCCESS,
        MISSING: Status.MAILBOX_DOES_NOT_EXIST,
    }
    evidence = evidence_of(found["closed"])
    assert evidence.command == f"RCPT TO:<{closed}>"
    assert (evidence.reply_code, evidence.enhanced_code) == (554, "5.7.1")
    assert evidence.reply_text is not None
    assert f"<{closed}>: Recipient address rejected: This mailbox is closed by policy" in evidence.reply_text
