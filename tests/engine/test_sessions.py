"""Session use: many recipients a session, RSET between transactions, reconnects, caps, one probe a domain."""

from __future__ import annotations

import asyncio

import pytest

from tests.mailfarm.farm import MAIL_FROM, MailFarm
from verifalia_server.engine import Engine, EngineConfig, Status, VerificationRequest

FARM = "mailfarm.net"


def engine(farm: MailFarm, **overrides: str) -> Engine:
    return Engine(EngineConfig.from_env(farm.engine_environ() | overrides))


async def verify(engine: Engine, addresses: list[str]) -> list[Status]:
    verdicts = await engine.verify_batch([VerificationRequest(address) for address in addresses])
    return [verdict.status for verdict in verdicts]


def rcpt_lines(farm: MailFarm, ip: str) -> list[str]:
    return [line for line in farm.transcript(ip) if line.startswith("RCPT")]


async def test_one_session_serves_every_recipient_of_a_domain(mail_farm: MailFarm) -> None:
    local_parts = ["alice", "bob", "info", "postmaster", "ghost1", "ghost2", "ghost3", "ghost4"]
    addresses = [f"{local}@postfix.{FARM}" for local in local_parts]

    statuses = await verify(engine(mail_farm), addresses)

    assert statuses == [Status.SUCCESS] * 4 + [Status.MAILBOX_DOES_NOT_EXIST] * 4
    ip = mail_farm.mx_ips(f"postfix.{FARM}")[0]
    assert mail_farm.sessions_opened(ip) == 1
    transcript = mail_farm.transcript(ip)
    assert transcript[0].startswith("EHLO ")
    # MAIL FROM is the configured sender, never an address under test.
    assert [line for line in transcript if line.startswith("MAIL")] == [f"MAIL FROM:<{MAIL_FROM}>"]
    # Target first, then the catch-all probe, then the other targets.
    assert rcpt_lines(mail_farm, ip)[0] == f"RCPT TO:<alice@postfix.{FARM}>"
    assert len(rcpt_lines(mail_farm, ip)) == len(addresses) + 1
    assert transcript[-1] == "QUIT"


async def test_domains_on_the_same_exchanger_share_a_session(mail_farm: MailFarm) -> None:
    domains = [f"bench-000.{FARM}", f"bench-020.{FARM}", f"bench-040.{FARM}"]
    ips = {mail_farm.mx_ips(domain)[0] for domain in domains}
    assert len(ips) == 1

    statuses = await verify(engine(mail_farm), [f"user1@{domain}" for domain in domains])

    assert statuses == [Status.SUCCESS] * 3
    assert mail_farm.sessions_opened(ips.pop()) == 1


async def test_too_many_recipients_continues_in_a_new_transaction(mail_farm: MailFarm) -> None:
    local_parts = ["alice", "bob", "info", "postmaster", "ghost1", "ghost2", "ghost3"]

    statuses = await verify(engine(mail_farm), [f"{local}@toomany.{FARM}" for local in local_parts])

    assert statuses == [Status.SUCCESS] * 4 + [Status.MAILBOX_DOES_NOT_EXIST] * 3
    ip = mail_farm.mx_ips(f"toomany.{FARM}")[0]
    assert mail_farm.sessions_opened(ip) == 1
    transcript = mail_farm.transcript(ip)
    # RFC 5321 §4.1.1.5: RSET, then a new MAIL FROM; the recipients refused for the limit are asked
    # again, in transactions no larger than the limit the server showed.
    assert transcript.count("RSET") == 2
    assert transcript.count(f"MAIL FROM:<{MAIL_FROM}>") == 3
    for local in ["alice", "bob", "info"]:
        assert transcript.count(f"RCPT TO:<{local}@toomany.{FARM}>") == 1
    for local in ["postmaster", "ghost1", "ghost2", "ghost3"]:
        assert transcript.count(f"RCPT TO:<{local}@toomany.{FARM}>") == 2


async def test_recipient_limit_per_transaction_starts_new_transactions(mail_farm: MailFarm) -> None:
    addresses = [f"{local}@postfix.{FARM}" for local in ["alice", "bob", "info", "ghost1", "ghost2"]]
    limited = engine(
        mail_farm, VERIFALIA_SMTP_RECIPIENTS_PER_SESSION="2", VERIFALIA_SMTP_SESSIONS_PER_HOST="1"
    )

    statuses = await verify(limited, addresses)

    assert statuses == [Status.SUCCESS] * 3 + [Status.MAILBOX_DOES_NOT_EXIST] * 2
    ip = mail_farm.mx_ips(f"postfix.{FARM}")[0]
    assert mail_farm.sessions_opened(ip) == 1
    assert mail_farm.transcript(ip).count("RSET") == 2


async def test_dropped_session_is_reopened_and_continues(mail_farm: MailFarm) -> None:
    local_parts = ["alice", "ghost1", "bob", "ghost2", "info"]

    statuses = await verify(engine(mail_farm), [f"{local}@dropafter5xx.{FARM}" for local in local_parts])

    assert statuses == [
        Status.SUCCESS,
        Status.MAILBOX_DOES_NOT_EXIST,
        Status.SUCCESS,
        Status.MAILBOX_DOES_NOT_EXIST,
        Status.SUCCESS,
    ]
    ip = mail_farm.mx_ips(f"dropafter5xx.{FARM}")[0]
    # RFC 2920 §3.1: the recipients go pipelined; the server hangs up after each 550 (ghost1, ghost2,
    # the probe), and the recipients sent after a refusal are asked again in the next session.
    assert mail_farm.sessions_opened(ip) == 3
    asked = {line.removeprefix("RCPT TO:<").removesuffix(">") for line in rcpt_lines(mail_farm, ip)}
    assert {f"{local}@dropafter5xx.{FARM}" for local in local_parts} < asked


async def test_one_catch_all_probe_per_domain_per_batch(mail_farm: MailFarm) -> None:
    addresses = [f"person{number}@catchall.{FARM}" for number in range(10)]
    spread = engine(
        mail_farm, VERIFALIA_SMTP_RECIPIENTS_PER_SESSION="2", VERIFALIA_SMTP_SESSIONS_PER_HOST="3"
    )

    statuses = await verify(spread, addresses)

    assert statuses == [Status.SERVER_IS_CATCH_ALL] * 10
    ip = mail_farm.mx_ips(f"catchall.{FARM}")[0]
    assert mail_farm.sessions_opened(ip) == 3
    asked = {line.removeprefix("RCPT TO:<").removesuffix(">") for line in rcpt_lines(mail_farm, ip)}
    assert len(asked - set(addresses)) == 1


async def test_starttls_helo_fallback_and_smtputf8_in_the_dialogue(mail_farm: MailFarm) -> None:
    statuses = await verify(
        engine(mail_farm), [f"alice@starttls.{FARM}", f"alice@heloonly.{FARM}", f"josé@utf8.{FARM}"]
    )

    assert statuses == [Status.SUCCESS] * 3
    tls = mail_farm.transcript(mail_farm.mx_ips(f"starttls.{FARM}")[0])
    assert [line.split(" ")[0] for line in tls[:4]] == ["EHLO", "STARTTLS", "EHLO", "MAIL"]
    helo = mail_farm.transcript(mail_farm.mx_ips(f"heloonly.{FARM}")[0])
    assert [line.split(" ")[0] for line in helo[:3]] == ["EHLO", "HELO", "MAIL"]
    utf8 = mail_farm.transcript(mail_farm.mx_ips(f"utf8.{FARM}")[0])
    # RFC 6531 §3.4: the SMTPUTF8 parameter announces the UTF-8 recipient.
    assert f"MAIL FROM:<{MAIL_FROM}> SMTPUTF8" in utf8


async def test_sessions_per_host_and_in_total_are_capped(mail_farm: MailFarm) -> None:
    mail_farm.set_latency(0.05)
    # Every bench host serves every 20th bench domain: four domains, one exchanger, one batch each.
    for host, per_host, total, cap in [(0, "2", "50", 2), (1, "4", "1", 1)]:
        domains = [f"bench-{host + 20 * number:03d}.{FARM}" for number in range(4)]
        [ip] = {mail_farm.mx_ips(domain)[0] for domain in domains}
        capped = engine(
            mail_farm, VERIFALIA_SMTP_SESSIONS_PER_HOST=per_host, VERIFALIA_SMTP_SESSIONS_TOTAL=total
        )

        results = await asyncio.gather(*(verify(capped, [f"user1@{domain}"]) for domain in domains))

        assert results == [[Status.SUCCESS]] * 4
        assert mail_farm.sessions_opened(ip) == 4
        assert mail_farm.peak_sessions(ip) == cap
        assert capped.prober.limiter.active_hosts() == 0


async def test_closed_engine_refuses_batches(mail_farm: MailFarm) -> None:
    verifier = engine(mail_farm)
    await verifier.aclose()

    with pytest.raises(RuntimeError, match="closed"):
        await verifier.verify_batch([VerificationRequest(f"alice@postfix.{FARM}")])
    assert verifier.verify_offline(f"alice@postfix.{FARM}").status is Status.SUCCESS


@pytest.mark.parametrize("label", ["fallback421", "fallback451"])
async def test_transient_refusal_falls_back_to_the_next_exchanger(mail_farm: MailFarm, label: str) -> None:
    # The primary answers 421 at the banner or 451 to MAIL FROM; the secondary is a working Postfix.
    domain = f"{label}.{FARM}"
    primary_ip, secondary_ip = mail_farm.mx_ips(domain)

    [verdict] = await engine(mail_farm).verify_batch([VerificationRequest(f"alice@{domain}")])

    assert verdict.status is Status.SUCCESS
    assert verdict.evidence is not None
    assert verdict.evidence.mx_host == f"mx2.{domain}"
    assert mail_farm.sessions_opened(primary_ip) == 1
    assert mail_farm.sessions_opened(secondary_ip) == 1


async def test_a_domains_catch_all_probe_serves_later_batches_too(mail_farm: MailFarm) -> None:
    verifier = engine(mail_farm)
    catch_all, plain = f"catchall.{FARM}", f"postfix.{FARM}"

    first = await verify(verifier, [f"person1@{catch_all}", f"alice@{plain}"])
    second = await verify(verifier, [f"person2@{catch_all}", f"bob@{plain}"])

    assert first == second == [Status.SERVER_IS_CATCH_ALL, Status.SUCCESS]
    for domain in (catch_all, plain):
        probe = f"RCPT TO:<{verifier.prober.probe_local_part(domain)}@{domain}>"
        assert rcpt_lines(mail_farm, mail_farm.mx_ips(domain)[0]).count(probe) == 1
