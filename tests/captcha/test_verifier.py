"""`CaptchaVerifier` against the loopback siteverify server: the form it sends and the verdicts it reads."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest

from tests.support.siteverify import SECRETS, SiteKind, Siteverify
from verifalia_server.captcha.config import CaptchaConfig, Provider, ProviderConfig
from verifalia_server.captcha.verifier import CaptchaNotConfigured, CaptchaUnreachable, CaptchaVerifier

KINDS: dict[Provider, SiteKind] = {
    Provider.TURNSTILE: "turnstile",
    Provider.RECAPTCHA_V2: "recaptcha_v2",
    Provider.RECAPTCHA_V3: "recaptcha_v3",
    Provider.HCAPTCHA: "hcaptcha",
}


def config(
    siteverify: Siteverify, *, min_score: float = 0.5, action: str | None = None, timeout: float = 5.0
) -> CaptchaConfig:
    """Every provider configured with its loopback URL and secret."""
    providers = {
        provider: ProviderConfig(siteverify.url(kind), SECRETS[kind]) for provider, kind in KINDS.items()
    }
    return CaptchaConfig(providers, min_score, action, timeout)


@pytest.fixture
async def verifier(siteverify: Siteverify) -> AsyncIterator[CaptchaVerifier]:
    """A verifier of every provider with a 1 s timeout."""
    client = CaptchaVerifier(config(siteverify, timeout=1.0))
    yield client
    await client.aclose()


@pytest.mark.parametrize("provider", list(Provider))
async def test_a_good_token_is_accepted_once_and_the_form_follows_the_protocol(
    siteverify: Siteverify, verifier: CaptchaVerifier, provider: Provider
) -> None:
    token = siteverify.issue(KINDS[provider])
    verdict = await verifier.verify(provider, token, "203.0.113.7")
    assert verdict.accepted, verdict
    assert verdict.hostname == "shop.example.org"
    sent = siteverify.requests[-1]
    assert sent["secret"] == SECRETS[KINDS[provider]]
    assert sent["response"] == token
    assert sent["remoteip"] == "203.0.113.7"
    again = await verifier.verify(provider, token)
    assert not again.accepted
    expected = "already-seen-response" if provider is Provider.HCAPTCHA else "timeout-or-duplicate"
    assert again.error_codes == (expected,)
    assert "remoteip" not in siteverify.requests[-1]


@pytest.mark.parametrize("provider", list(Provider))
async def test_an_unknown_token_is_refused_with_the_providers_error_code(
    siteverify: Siteverify, verifier: CaptchaVerifier, provider: Provider
) -> None:
    verdict = await verifier.verify(provider, "forged-token")
    assert not verdict.accepted
    assert verdict.error_codes == ("invalid-input-response",)
    assert "invalid-input-response" in verdict.reason


async def test_a_token_of_another_provider_is_refused(
    siteverify: Siteverify, verifier: CaptchaVerifier
) -> None:
    v2_token = siteverify.issue("recaptcha_v2")
    verdict = await verifier.verify(Provider.RECAPTCHA_V3, v2_token)
    assert verdict.error_codes == ("invalid-input-response",)


async def test_a_wrong_secret_is_refused_as_invalid_input_secret(siteverify: Siteverify) -> None:
    providers = {Provider.TURNSTILE: ProviderConfig(siteverify.url("turnstile"), "not-the-secret")}
    client = CaptchaVerifier(CaptchaConfig(providers))
    try:
        verdict = await client.verify(Provider.TURNSTILE, siteverify.issue("turnstile"))
    finally:
        await client.aclose()
    assert not verdict.accepted
    assert verdict.error_codes == ("invalid-input-secret",)


async def test_an_empty_token_is_refused_without_asking_the_provider(
    siteverify: Siteverify, verifier: CaptchaVerifier
) -> None:
    verdict = await verifier.verify(Provider.HCAPTCHA, "")
    assert verdict.error_codes == ("missing-input-response",)
    assert siteverify.requests == []


async def test_recaptcha_v3_needs_the_minimum_score_and_the_configured_action(siteverify: Siteverify) -> None:
    client = CaptchaVerifier(config(siteverify, min_score=0.7, action="signup"))
    try:
        good = await client.verify(
            Provider.RECAPTCHA_V3, siteverify.issue("recaptcha_v3", score=0.7, action="signup")
        )
        low = await client.verify(
            Provider.RECAPTCHA_V3, siteverify.issue("recaptcha_v3", score=0.3, action="signup")
        )
        elsewhere = await client.verify(
            Provider.RECAPTCHA_V3, siteverify.issue("recaptcha_v3", score=0.9, action="login")
        )
    finally:
        await client.aclose()
    assert good.accepted
    assert (good.score, good.action) == (0.7, "signup")
    assert not low.accepted
    assert low.score == 0.3
    assert "0.3 is below the minimum of 0.7" in low.reason
    assert not elsewhere.accepted
    assert "'login'" in elsewhere.reason


async def test_the_default_minimum_score_is_a_half(siteverify: Siteverify, verifier: CaptchaVerifier) -> None:
    assert (
        await verifier.verify(Provider.RECAPTCHA_V3, siteverify.issue("recaptcha_v3", score=0.5))
    ).accepted
    assert not (
        await verifier.verify(Provider.RECAPTCHA_V3, siteverify.issue("recaptcha_v3", score=0.4))
    ).accepted


async def test_a_provider_without_a_secret_is_not_configured(siteverify: Siteverify) -> None:
    client = CaptchaVerifier(CaptchaConfig())
    try:
        with pytest.raises(CaptchaNotConfigured, match="Turnstile"):
            await client.verify(Provider.TURNSTILE, siteverify.issue("turnstile"))
    finally:
        await client.aclose()
    assert siteverify.requests == []


async def test_a_provider_that_is_down_failing_or_silent_gives_no_verdict(
    siteverify: Siteverify, verifier: CaptchaVerifier
) -> None:
    siteverify.failure = "error"
    with pytest.raises(CaptchaUnreachable, match="HTTP 500"):
        await verifier.verify(Provider.TURNSTILE, siteverify.issue("turnstile"))
    siteverify.failure = "stall"
    started = time.monotonic()
    with pytest.raises(CaptchaUnreachable):
        await verifier.verify(Provider.TURNSTILE, siteverify.issue("turnstile"))
    assert 0.9 < time.monotonic() - started < 3
    await siteverify.stop()
    with pytest.raises(CaptchaUnreachable):
        await verifier.verify(Provider.HCAPTCHA, siteverify.issue("hcaptcha"))


async def test_an_answer_that_is_not_siteverify_json_gives_no_verdict(
    siteverify: Siteverify, verifier: CaptchaVerifier
) -> None:
    siteverify.failure = "html"
    with pytest.raises(CaptchaUnreachable, match="no verdict"):
        await verifier.verify(Provider.RECAPTCHA_V2, siteverify.issue("recaptcha_v2"))
