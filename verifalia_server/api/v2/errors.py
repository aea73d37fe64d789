"""The v2 surface's answers to business failures: a refused CAPTCHA is the problem type the SDKs look for."""

from __future__ import annotations

from verifalia_server.api.shared.errors import ApiError, domain_error
from verifalia_server.service.errors import CaptchaRefused, CaptchaUnavailable, DomainError

# The problem type the SDKs turn into `CaptchaValidationError` (JS: `ProblemType_CaptchaValidationFailed`).
CAPTCHA_VALIDATION_FAILED = "/problems/captcha-validation-failed"
# RFC 9110 §15.5.2: a 401 carries a challenge; this one asks for a CAPTCHA, not other credentials.
_CAPTCHA_CHALLENGE = {"WWW-Authenticate": 'Captcha realm="verifalia"'}


def v2_domain_error(error: DomainError) -> ApiError:
    """The ApiError answering a business failure on v2."""
    if isinstance(error, CaptchaRefused):
        return ApiError(
            401, "Unauthorized", str(error), type_=CAPTCHA_VALIDATION_FAILED, headers=_CAPTCHA_CHALLENGE
        )
    if isinstance(error, CaptchaUnavailable):
        # RFC 9110 §10.2.3: Retry-After in seconds.
        return ApiError(
            503, "Service Unavailable", str(error), headers={"Retry-After": str(error.retry_after)}
        )
    return domain_error(error)
