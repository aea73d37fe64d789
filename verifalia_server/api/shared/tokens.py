"""Signed bearer tokens (JWT, HS256) naming the user they were issued to.

A token also carries the user's token generation when it was issued (claim `gen`); changing the user's
password or deactivating it moves the generation on, which revokes older bearer tokens. A first-factor token
(password only, for a user with a second factor) names the factors still due in the claim `verifalia:mfa`.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import jwt

from verifalia_server.settings import DEFAULT_TOKEN_TTL_SECONDS

# RFC 7518 §3.2: HMAC with SHA-256.
_ALGORITHM = "HS256"
_ISSUER = "verifalia-server"
_GENERATION_CLAIM = "gen"
# The claim the Verifalia SDKs read to ask for a second factor, such as `["totp"]`.
MFA_CLAIM = "verifalia:mfa"

DEFAULT_TTL_SECONDS = DEFAULT_TOKEN_TTL_SECONDS


@dataclass(frozen=True, slots=True)
class Subject:
    """Whom a valid token was issued to: the user's id (its SID) and its token generation then."""

    user_id: str
    generation: int
    pending_factors: tuple[str, ...] = ()


def issue(
    user_id: str,
    secret: str,
    ttl: float = DEFAULT_TTL_SECONDS,
    generation: int = 0,
    pending_factors: tuple[str, ...] = (),
) -> str:
    """Return a token for the user `user_id` at token `generation`, valid for `ttl` seconds.

    With `pending_factors` it is a first-factor token, good only for presenting those factors.
    """
    now = int(time.time())
    # RFC 7519 §4.1: registered claims.
    claims = {
        "iss": _ISSUER,
        "sub": user_id,
        "iat": now,
        "nbf": now,
        "exp": now + max(1, int(ttl)),
        "jti": uuid.uuid4().hex,
        _GENERATION_CLAIM: generation,
    }
    if pending_factors:
        claims[MFA_CLAIM] = list(pending_factors)
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


def subject_of(token: str, secret: str) -> Subject | None:
    """Return whom a valid token was issued to, or None if it is invalid or expired.

    A token without a generation claim counts as generation 0, the one every user starts at.
    """
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[_ALGORITHM],
            issuer=_ISSUER,
            options={"require": ["sub", "exp", "iat"]},
        )
    except jwt.PyJWTError:
        return None
    sid = claims.get("sub")
    generation = claims.get(_GENERATION_CLAIM, 0)
    factors = claims.get(MFA_CLAIM, [])
    if not isinstance(sid, str) or not sid or type(generation) is not int:
        return None
    if not isinstance(factors, list) or not all(isinstance(factor, str) for factor in factors):
        return None
    return Subject(sid, generation, tuple(factors))
