"""Temporary outcomes: the retry schedule of each quality level, in batches and in `Engine.verify`."""

from __future__ import annotations

import time

import pytest

from tests.mailfarm.farm import MailFarm
from verifalia_server.engine import Engine, EngineConfig, Quality, Status, VerificationRequest

FARM = "mailfarm.net"


def engine(farm: MailFarm, **overrides: str) -> Engine:
    return Engine(EngineConfig.from_env(farm.engine_environ() | overrides))


async def test_greylisting_is_retried_once_at_standard_quality(mail_farm: MailFarm) -> None:
    verifier = engine(mail_farm)
    address = f"alice@greylist.{FARM}"

    [first] = await verifier.verify_batch([VerificationRequest(address, Quality.STANDARD, 0)])
    [last] = await verifier.verify_batch([VerificationRequest(address, Quality.STANDARD, 1)])

    assert (first.status, first.retry_in) == (Status.MAILBOX_TEMPORARILY_UNAVAILABLE, 0.2)
    assert (last.status, last.retry_in) == (Status.MAILBOX_TEMPORARILY_UNAVAILABLE, None)
    assert last.is_final


@pytest.mark.parametrize(
    ("quality", "schedule"),
    [
        (Quality.STANDARD, [0.2, None]),
        (Quality.HIGH, [0.2, 0.2, 0.5, None]),
        (Quality.EXTREME, [0.2, 0.2, 0.5, 0.5, None]),
    ],
)
async def test_each_quality_follows_its_schedule(
    mail_farm: MailFarm, quality: Quality, schedule: list[float | None]
) -> None:
    verifier = engine(mail_farm)
    address = f"alice@banner421.{FARM}"

    verdicts = [
        (await verifier.verify_batch([VerificationRequest(address, quality, attempt)]))[0]
        for attempt in range(len(schedule))
    ]

    assert {verdict.status for verdict in verdicts} == {Status.SERVER_TEMPORARY_UNAVAILABLE}
    assert [verdict.retry_in for verdict in verdicts] == schedule


@pytest.mark.parametrize(
    "address", [f"ghost@postfix.{FARM}", f"alice@postfix.{FARM}", f"alice@nullmx.{FARM}", "alice@[127.0.0.1]"]
)
async def test_definite_outcomes_are_never_retried(mail_farm: MailFarm, address: str) -> None:
    [verdict] = await engine(mail_farm).verify_batch([VerificationRequest(address, Quality.EXTREME, 0)])

    assert verdict.retry_in is None


async def test_verify_runs_the_schedule_until_greylisting_passes(mail_farm: MailFarm) -> None:
    started = time.monotonic()

    verdict = await engine(mail_farm).verify(f"alice@greylist.{FARM}", Quality.HIGH)

    # Greylisted at 0, 0.2 and 0.4 s; the farm lets the pair through 0.5 s after the first attempt.
    assert verdict.status is Status.SUCCESS
    assert verdict.is_final
    assert time.monotonic() - started >= 0.5
    assert mail_farm.sessions_opened(mail_farm.mx_ips(f"greylist.{FARM}")[0]) == 4


async def test_verify_ends_with_the_temporary_status_when_the_schedule_runs_out(mail_farm: MailFarm) -> None:
    verdict = await engine(mail_farm).verify(f"alice@greylist.{FARM}", Quality.STANDARD)

    assert verdict.status is Status.MAILBOX_TEMPORARILY_UNAVAILABLE
    assert verdict.is_final
    assert mail_farm.sessions_opened(mail_farm.mx_ips(f"greylist.{FARM}")[0]) == 2


async def test_verify_timeout_returns_the_best_verdict_so_far(mail_farm: MailFarm) -> None:
    verifier = engine(mail_farm, VERIFALIA_RETRY_DELAYS_EXTREME="30")
    started = time.monotonic()

    verdict = await verifier.verify(f"alice@banner421.{FARM}", Quality.EXTREME, timeout=0.5)

    assert time.monotonic() - started < 2
    assert verdict.status is Status.SERVER_TEMPORARY_UNAVAILABLE
    assert verdict.is_final


async def test_verify_timeout_before_any_verdict(mail_farm: MailFarm) -> None:
    verifier = engine(mail_farm, VERIFALIA_SMTP_COMMAND_TIMEOUT="5")

    verdict = await verifier.verify(f"alice@tarpit.{FARM}", timeout=0.3)

    assert verdict.status is Status.MAILBOX_VALIDATION_TIMEOUT
    assert verdict.email_address == f"alice@tarpit.{FARM}"
    assert verdict.evidence is not None
    assert verdict.evidence.reply_text == "no answer within 0.3 seconds"
    assert verdict.is_final
    # The abandoned session gave its slot back.
    assert verifier.prober.limiter.active_hosts() == 0
