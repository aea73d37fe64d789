"""The CAPTCHA check of a submission, made before anything is stored or charged.

`check_captcha` asks the provider the client named about its token (`captcha.CaptchaVerifier`); `required`
says whether a submission without a CAPTCHA is refused. A refusal of any kind (no CAPTCHA where one is
required, an unknown or unconfigured provider, a refused token, a reCAPTCHA v3 score below the minimum)
raises `CaptchaRefused`; a provider that gives no verdict raises `CaptchaUnavailable`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from verifalia_server.captcha.config import Provider
from verifalia_server.captcha.verifier import CaptchaNotConfigured, CaptchaUnreachable, CaptchaVerifier
from verifalia_server.service.errors import CaptchaRefused, CaptchaUnavailable

_log = logging.getLogger(__name__)

# The provider names of the Verifalia API (the JS SDK's `CaptchaProvider_*` constants), matched ignoring case.
PROVIDER_NAMES = {
    "Turnstile": Provider.TURNSTILE,
    "reCaptcha_v2": Provider.RECAPTCHA_V2,
    "reCaptcha_v3": Provider.RECAPTCHA_V3,
    "hCaptcha": Provider.HCAPTCHA,
}
_BY_LOWER_NAME = {name.lower(): provider for name, provider in PROVIDER_NAMES.items()}
# Seconds a client is asked to wait before retrying when a provider gave no verdict.
RETRY_AFTER_SECONDS = 5


@dataclass(frozen=True, slots=True)
class CaptchaAnswer:
    """The CAPTCHA a client solved: the provider as the client named it, and the token it was given."""

    provider: str
    token: str


@dataclass(frozen=True, slots=True)
class CaptchaPolicy:
    """How a submission path checks CAPTCHAs: with this verifier, and whether one is required."""

    verifier: CaptchaVerifier
    required: bool = False

    async def check(self, answer: CaptchaAnswer | None, client_ip: str | None) -> None:
        """`check_captcha` with this policy."""
        await check_captcha(self.verifier, answer, required=self.required, client_ip=client_ip)


async def check_captcha(
    verifier: CaptchaVerifier, answer: CaptchaAnswer | None, *, required: bool, client_ip: str | None
) -> None:
    """Return when the submission may go on; `CaptchaRefused` or `CaptchaUnavailable` when it may not."""
    if answer is None:
        if required:
            raise CaptchaRefused("These credentials must submit jobs with a CAPTCHA; none was given.")
        return
    provider = _BY_LOWER_NAME.get(answer.provider.strip().lower())
    if provider is None:
        known = ", ".join(PROVIDER_NAMES)
        raise CaptchaRefused(f"Unknown CAPTCHA provider {answer.provider!r}; the providers are {known}.")
    try:
        verdict = await verifier.verify(provider, answer.token, client_ip)
    except CaptchaNotConfigured as exc:
        raise CaptchaRefused(f"The CAPTCHA was not verified: {exc}.") from None
    except CaptchaUnreachable as exc:
        _log.warning("CAPTCHA verification unavailable: %s", exc)
        raise CaptchaUnavailable(
            f"The {provider.value} CAPTCHA could not be verified now; retry later.", RETRY_AFTER_SECONDS
        ) from None
    if not verdict.accepted:
        raise CaptchaRefused(f"The CAPTCHA was not verified: {verdict.reason}.")
