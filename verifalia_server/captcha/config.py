"""The CAPTCHA providers a node can verify tokens with, and its configuration of each."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field


class Provider(enum.Enum):
    """A CAPTCHA service whose tokens can be verified."""

    TURNSTILE = "Turnstile"
    RECAPTCHA_V2 = "reCAPTCHA v2"
    RECAPTCHA_V3 = "reCAPTCHA v3"
    HCAPTCHA = "hCaptcha"


# The providers' documented siteverify endpoints.
DEFAULT_VERIFY_URLS: Mapping[Provider, str] = {
    Provider.TURNSTILE: "https://challenges.cloudflare.com/turnstile/v0/siteverify",
    Provider.RECAPTCHA_V2: "https://www.google.com/recaptcha/api/siteverify",
    Provider.RECAPTCHA_V3: "https://www.google.com/recaptcha/api/siteverify",
    Provider.HCAPTCHA: "https://api.hcaptcha.com/siteverify",
}
DEFAULT_MIN_SCORE = 0.5
DEFAULT_TIMEOUT = 5.0


@dataclass(frozen=True, slots=True)
class ProviderConfig:
    """One provider: the secret key its tokens are verified with (None: not configured) and where."""

    verify_url: str
    secret: str | None = None


def _default_providers() -> dict[Provider, ProviderConfig]:
    return {provider: ProviderConfig(url) for provider, url in DEFAULT_VERIFY_URLS.items()}


@dataclass(frozen=True, slots=True)
class CaptchaConfig:
    """Every provider's configuration, the lowest reCAPTCHA v3 score accepted (0.0-1.0), the reCAPTCHA v3
    action a token must carry (None: any), and the seconds a siteverify request may take."""

    providers: Mapping[Provider, ProviderConfig] = field(default_factory=_default_providers)
    min_score: float = DEFAULT_MIN_SCORE
    action: str | None = None
    timeout: float = DEFAULT_TIMEOUT
