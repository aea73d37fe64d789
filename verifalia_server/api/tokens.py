"""Signed bearer tokens (JWT, HS256) naming the sub-account they were issued to."""

from __future__ import annotations

import time
import uuid

import jwt

# RFC 7518 §3.2: HMAC with SHA-256.
_ALGORITHM = "HS256"
_ISSUER = "verifalia-server"

# The official JavaScript SDK never refreshes a token, so tokens outlive any client session by default.
DEFAULT_TTL_SECONDS = 30 * 86_400


def issue(sid: str, secret: str, ttl: float = DEFAULT_TTL_SECONDS) -> str:
    """Return a token for the sub-account `sid`, valid for `ttl` seconds."""
    now = int(time.time())
    # RFC 7519 §4.1: registered claims.
    claims = {
        "iss": _ISSUER,
        "sub": sid,
        "iat": now,
        "nbf": now,
        "exp": now + max(1, int(ttl)),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


def subject_of(token: str, secret: str) -> str | None:
    """Return the sub-account SID a valid token was issued to, or None if it is invalid or expired."""
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
    subject = claims.get("sub")
    return subject if isinstance(subject, str) and subject else None
