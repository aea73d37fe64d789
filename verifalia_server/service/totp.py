"""TOTP second factor (RFC 6238): enrolment, confirmation, removal, and checking a login's code.

A user enables TOTP and gets a new secret with its `otpauth://` provisioning URI; the first valid code
confirms it and from then on a password login needs a code too (`mfa_required`). Codes have 6 digits, a
30 s step and HMAC-SHA-1; one step of clock drift either way is accepted, and a code is never accepted
twice for the same user. At most `MAX_ATTEMPTS` codes are checked per user within `ATTEMPT_WINDOW_SECONDS`
(a first-factor token is easy to get again for whoever holds the password, so the limit is per user).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import pyotp
from pyotp.utils import strings_equal

from verifalia_server.service.errors import DomainError, NotFound
from verifalia_server.service.permissions import WRITE_USERS, Principal, UserType
from verifalia_server.store import totp as totp_store
from verifalia_server.store.database import Pool
from verifalia_server.store.users import User, get_user, set_totp_secret

# RFC 6238 §4.1 and §5.2: a 30-second time step and one step of accepted drift either way.
STEP_SECONDS = 30
DRIFT_STEPS = 1
# RFC 4226 §5.3: a 6-digit code (RFC 6238 §4: TOTP is HOTP over the time step, HMAC-SHA-1 by default).
DIGITS = 6
# RFC 4226 §7.3: throttle the verifier; codes checked per user and window, then refusals until it ends.
MAX_ATTEMPTS = 5
ATTEMPT_WINDOW_SECONDS = 300
# How long a first-factor token (password only) may wait for its code.
FIRST_FACTOR_TTL_SECONDS = 300
# The factor a first-factor token asks for, as the `verifalia:mfa` claim names it.
TOTP_FACTOR = "totp"
ISSUER = "verifalia-server"


class TotpError(DomainError):
    """A second-factor operation the service refuses; the message says why."""


class WrongPassCode(TotpError):
    """The code is malformed, wrong, outside the drift window or already used."""


class TooManyAttempts(TotpError):
    """Too many codes were tried for this user lately; none is checked for `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many TOTP codes were tried for this user; try again in {retry_after} s.")
        self.retry_after = retry_after


class NotEnrolled(TotpError):
    """The user has no TOTP secret."""


class EnrolmentConflict(TotpError):
    """The enrolment cannot start or be confirmed in the user's current state."""


@dataclass(frozen=True, slots=True)
class Enrolment:
    """A new TOTP secret (base32, RFC 4648 §6) and its key URI for authenticator apps."""

    secret: str
    provisioning_uri: str


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)


async def managed_user(pool: Pool[Any], principal: Principal, user_id: str) -> User:
    """The user whose second factor `principal` manages: itself, or one of its account's users when it may
    write users account-wide (NotFound for another account's or a deleted user, Forbidden otherwise)."""
    user = await get_user(pool, user_id)
    if user is None or user.deleted_on is not None or user.account_id != principal.account_id:
        raise NotFound(f"No user {user_id} in this account.")
    if user.id != principal.user_id:
        principal.require(WRITE_USERS, owner=user.id)
    return user


async def enable(pool: Pool[Any], user: User) -> Enrolment:
    """Give the user a new secret, to be confirmed with a first code (a pending one is replaced)."""
    if user.type is UserType.BROWSER_APP:
        raise EnrolmentConflict("A browser app has no password, so no second factor.")
    if user.profile.mfa_required:
        raise EnrolmentConflict("TOTP is already required for this user: disable it first.")
    # RFC 4226 §4 R6: a shared secret of 160 bits (32 base32 characters).
    secret = pyotp.random_base32(32)
    if not await totp_store.begin_enrolment(pool, user.id, secret):
        raise EnrolmentConflict("The user changed meanwhile; try again.")
    uri = _totp(secret).provisioning_uri(name=user.profile.username or user.id, issuer_name=ISSUER)
    return Enrolment(secret, uri)


async def confirm(pool: Pool[Any], user: User, pass_code: str) -> None:
    """Check a first code of the pending secret, then require the second factor from now on."""
    if user.profile.mfa_required:
        raise EnrolmentConflict("TOTP is already confirmed for this user.")
    await verify(pool, user, pass_code)
    if user.totp_secret is None or not await totp_store.require_second_factor(
        pool, user.id, user.totp_secret
    ):
        raise EnrolmentConflict("The TOTP secret changed meanwhile; enable it again.")


async def disable(pool: Pool[Any], user: User) -> None:
    """Remove the secret and the requirement; the bearer tokens issued so far are revoked."""
    await set_totp_secret(pool, user.id, None)


async def verify(pool: Pool[Any], user: User, pass_code: str, now: float | None = None) -> None:
    """Accept `pass_code` once for the user, or raise WrongPassCode, TooManyAttempts or NotEnrolled."""
    secret = user.totp_secret
    if secret is None:
        raise NotEnrolled("This user has no TOTP secret: enable TOTP first.")
    attempt = await totp_store.reserve_attempt(pool, user.id, ATTEMPT_WINDOW_SECONDS)
    if attempt.number > MAX_ATTEMPTS:
        elapsed = (attempt.now - attempt.window_started_on).total_seconds()
        raise TooManyAttempts(max(1, math.ceil(ATTEMPT_WINDOW_SECONDS - elapsed)))
    step = _matching_step(secret, pass_code, time.time() if now is None else now)
    if step is None:
        raise WrongPassCode("The TOTP code is wrong or expired.")
    if not await totp_store.consume_step(pool, user.id, step):
        raise WrongPassCode("This TOTP code was already used: wait for the next one.")


def _matching_step(secret: str, pass_code: str, now: float) -> int | None:
    """The time step, within the drift window, whose code is `pass_code` (RFC 6238 §4.2: T = now / X)."""
    if len(pass_code) != DIGITS or not pass_code.isascii() or not pass_code.isdigit():
        return None
    totp = _totp(secret)
    current = int(now) // STEP_SECONDS
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if strings_equal(totp.generate_otp(step), pass_code):
            return step
    return None
