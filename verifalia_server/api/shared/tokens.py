"""Signed bearer tokens (JWT, HS256) naming the sub-account they were issued to.

A token also carries the sub-account's token generation when it was issued (claim `gen`); rotating the
sub-account's auth token or disabling it moves the generation on, which revokes older bearer tokens.
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

DEFAULT_TTL_SECONDS = DEFAULT_TOKEN_TTL_SECONDS


@dataclass(frozen=True, slots=True)
class Subject:
    """Whom a valid token was issued to: the sub-account's SID and its token generation then."""

    sid: str
    generation: int


def issue(sid: str, secret: str, ttl: float = DEFAULT_TTL_SECONDS, generation: int = 0) -> str:
    """Return a token for the sub-account `sid` at token `generation`, valid for `ttl` seconds."""
    now = int(time.time())
    # RFC 7519 §4.1: registered claims.
    claims = {
        "iss": _ISSUER,
        "sub": sid,
        "iat": now,
        "nbf": now,
        "exp": now + max(1, int(ttl)),
        "jti": uuid.uuid4().hex,
        _GENERATION_CLAIM: generation,
    }
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


def subject_of(token: str, secret: str) -> Subject | None:
    """Return whom a valid token was issued to, or None if it is invalid or expired.

    A token without a generation claim counts as generation 0, the one every sub-account starts at.
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
    if not isinstance(sid, str) or not sid or type(generation) is not int:
        return None
    return Subject(sid, generation)
