"""The siteverify protocol that Turnstile, reCAPTCHA and hCaptcha share.

A verification is one `POST` of an `application/x-www-form-urlencoded` form with `secret`, `response` (the
token) and optionally `remoteip` (the end user's address). The answer is a JSON object: `success` (bool),
`error-codes` (list of strings), `hostname` and `challenge_ts`, plus `score` (0.0-1.0) and `action` for
reCAPTCHA v3. `read_answer` turns it into a `Verdict`; an answer without a boolean `success` is no verdict.
"""

from __future__ import annotations

from dataclasses import dataclass

from verifalia_server.captcha.config import CaptchaConfig, Provider

# The error code every provider answers for an absent or empty token.
MISSING_RESPONSE = "missing-input-response"


class NoVerdict(ValueError):
    """The provider's answer is not a siteverify verdict."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a provider said of a token: accepted or not, why not, and the v3 score and action."""

    accepted: bool
    error_codes: tuple[str, ...] = ()
    score: float | None = None
    action: str | None = None
    hostname: str | None = None
    reason: str = ""


def form(secret: str, token: str, remote_ip: str | None) -> dict[str, str]:
    """The siteverify request fields; `remoteip` only when the end user's address is known."""
    fields = {"secret": secret, "response": token}
    if remote_ip:
        fields["remoteip"] = remote_ip
    return fields


def refused(*error_codes: str) -> Verdict:
    """A refusal for these error codes."""
    return Verdict(False, error_codes, reason=_codes_reason(error_codes))


def _codes_reason(error_codes: tuple[str, ...]) -> str:
    listed = ", ".join(error_codes) or "no error code"
    return f"the CAPTCHA provider refused the token ({listed})"


def _text(answer: dict[str, object], name: str) -> str | None:
    value = answer.get(name)
    return value if isinstance(value, str) else None


def read_answer(provider: Provider, answer: object, config: CaptchaConfig) -> Verdict:
    """The verdict of a decoded siteverify answer; reCAPTCHA v3 also needs the minimum score (and action)."""
    if not isinstance(answer, dict) or not isinstance(answer.get("success"), bool):
        raise NoVerdict(f"the {provider.value} siteverify answer has no boolean 'success'")
    raw_codes = answer.get("error-codes")
    codes = tuple(code for code in raw_codes if isinstance(code, str)) if isinstance(raw_codes, list) else ()
    raw_score = answer.get("score")
    score = (
        float(raw_score) if isinstance(raw_score, int | float) and not isinstance(raw_score, bool) else None
    )
    action, hostname = _text(answer, "action"), _text(answer, "hostname")
    if not answer["success"]:
        return Verdict(False, codes, score, action, hostname, _codes_reason(codes))
    if provider is Provider.RECAPTCHA_V3:
        reason = _v3_shortfall(score, action, config)
        if reason:
            return Verdict(False, codes, score, action, hostname, reason)
    return Verdict(True, codes, score, action, hostname)


def _v3_shortfall(score: float | None, action: str | None, config: CaptchaConfig) -> str:
    """Why an accepted reCAPTCHA v3 token still fails this node's policy; empty when it does not."""
    if score is None:
        return "the reCAPTCHA v3 answer carries no score"
    if score < config.min_score:
        return f"the reCAPTCHA v3 score {score:g} is below the minimum of {config.min_score:g}"
    if config.action is not None and action != config.action:
        return f"the reCAPTCHA v3 action is {action!r}, not {config.action!r}"
    return ""
