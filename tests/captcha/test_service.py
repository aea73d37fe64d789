"""`service.captcha.check_captcha`: the check a submission path makes, with `required` or not."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from tests.support.database import TestAccount
from tests.support.siteverify import Siteverify
from verifalia_server.captcha.verifier import CaptchaVerifier
from verifalia_server.service.captcha import CaptchaAnswer, CaptchaPolicy, check_captcha
from verifalia_server.service.errors import CaptchaRefused, CaptchaUnavailable
from verifalia_server.service.submission import Submission, SubmittedEntry, submit
from verifalia_server.settings import NodeSettings, ServiceSettings


@pytest.fixture
async def verifier(siteverify: Siteverify) -> AsyncIterator[CaptchaVerifier]:
    """A verifier configured from the environment a node would read."""
    client = CaptchaVerifier(
        NodeSettings.from_env({**siteverify.environ(), "VERIFALIA_CAPTCHA_TIMEOUT": "1"}).captcha
    )
    yield client
    await client.aclose()


async def test_a_missing_captcha_is_refused_only_when_required(verifier: CaptchaVerifier) -> None:
    await check_captcha(verifier, None, required=False, client_ip=None)
    with pytest.raises(CaptchaRefused, match="must submit jobs with a CAPTCHA"):
        await check_captcha(verifier, None, required=True, client_ip=None)


@pytest.mark.parametrize("required", [False, True])
async def test_a_given_captcha_is_verified_whether_required_or_not(
    verifier: CaptchaVerifier, siteverify: Siteverify, required: bool
) -> None:
    good = CaptchaAnswer("Turnstile", siteverify.issue("turnstile"))
    await check_captcha(verifier, good, required=required, client_ip="198.51.100.4")
    assert siteverify.requests[-1]["remoteip"] == "198.51.100.4"
    with pytest.raises(CaptchaRefused, match="timeout-or-duplicate"):
        await check_captcha(verifier, good, required=required, client_ip=None)
    with pytest.raises(CaptchaRefused, match="Unknown CAPTCHA provider 'Arkose'"):
        await check_captcha(verifier, CaptchaAnswer("Arkose", "x"), required=required, client_ip=None)


async def test_a_silent_provider_is_unavailable_with_a_retry_delay(
    verifier: CaptchaVerifier, siteverify: Siteverify
) -> None:
    siteverify.failure = "error"
    with pytest.raises(CaptchaUnavailable) as raised:
        await check_captcha(
            verifier, CaptchaAnswer("hCaptcha", siteverify.issue("hcaptcha")), required=True, client_ip=None
        )
    assert raised.value.retry_after == 5


async def test_submit_checks_the_captcha_of_its_policy_before_storing(
    pool: asyncpg.Pool[Any], account: TestAccount, verifier: CaptchaVerifier, siteverify: Siteverify
) -> None:
    store = functools.partial(
        submit,
        pool,
        ServiceSettings(),
        account_id=account.account_id,
        owner=account.sid,
        client_ip="127.0.0.1",
        captcha=CaptchaPolicy(verifier, required=True),
    )
    with pytest.raises(CaptchaRefused):
        await store(submission=Submission(entries=[SubmittedEntry("a@b.example")]))
    assert await pool.fetchval("SELECT count(*) FROM jobs") == 0
    answered = Submission(
        entries=[SubmittedEntry("a@b.example")],
        captcha=CaptchaAnswer("reCaptcha_v2", siteverify.issue("recaptcha_v2")),
    )
    job = await store(submission=answered)
    assert job.no_of_entries == 1
    assert await pool.fetchval("SELECT count(*) FROM jobs") == 1
