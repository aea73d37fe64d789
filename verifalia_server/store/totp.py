"""Second-factor state: TOTP enrolment, the attempts counter and the last accepted time step of each user.

API: `begin_enrolment`, `require_second_factor`, `reserve_attempt`, `consume_step`. The state lives in
the database so every node sees the same counters and refuses a code another node already accepted.
Clearing a secret is `store.users.set_totp_secret(pool, user_id, None)`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from verifalia_server.service.permissions import UserType
from verifalia_server.store.database import Pool


@dataclass(frozen=True, slots=True)
class Attempt:
    """One counted attempt: its number in the current window, and when that window began."""

    number: int
    window_started_on: dt.datetime
    now: dt.datetime


async def begin_enrolment(pool: Pool[Any], user_id: str, secret: str) -> bool:
    """Store a new, unconfirmed secret; False if the user is unknown, deleted, a browser app or already
    requires a second factor. Bearer tokens stay valid: nothing is required of them yet."""
    async with pool.acquire() as connection, connection.transaction():
        result = await connection.execute(
            "UPDATE users SET totp_secret = $2, version = version + 1"
            " WHERE id = $1 AND deleted_on IS NULL AND NOT mfa_required AND type <> $3",
            user_id,
            secret,
            UserType.BROWSER_APP.value,
        )
        if result == "UPDATE 0":
            return False
        await connection.execute("DELETE FROM totp_state WHERE user_id = $1", user_id)
    return True


async def require_second_factor(pool: Pool[Any], user_id: str, secret: str) -> bool:
    """Switch the second factor on if the user still holds `secret`; revokes the bearer tokens issued so
    far (they were issued on the password alone). False if the secret changed or it was already on."""
    result: str = await pool.execute(
        "UPDATE users SET mfa_required = true, version = version + 1, token_generation = token_generation + 1"
        " WHERE id = $1 AND totp_secret = $2 AND deleted_on IS NULL AND NOT mfa_required",
        user_id,
        secret,
    )
    return result != "UPDATE 0"


async def reserve_attempt(pool: Pool[Any], user_id: str, window_seconds: int) -> Attempt:
    """Count one code attempt for the user, in a window of `window_seconds` that starts anew once over."""
    row = await pool.fetchrow(
        "INSERT INTO totp_state AS s (user_id, attempts) VALUES ($1, 1)"
        " ON CONFLICT (user_id) DO UPDATE SET"
        " attempts = CASE WHEN s.window_started_on <= now() - make_interval(secs => $2)"
        "   THEN 1 ELSE s.attempts + 1 END,"
        " window_started_on = CASE WHEN s.window_started_on <= now() - make_interval(secs => $2)"
        "   THEN now() ELSE s.window_started_on END"
        " RETURNING attempts, window_started_on, now() AS now",
        user_id,
        window_seconds,
    )
    return Attempt(row["attempts"], row["window_started_on"], row["now"])


async def consume_step(pool: Pool[Any], user_id: str, step: int) -> bool:
    """Accept a code of time step `step` once: False if a code of this step or a later one was accepted.

    An accepted code also clears the attempts counted so far."""
    result: str = await pool.execute(
        "UPDATE totp_state SET last_step = $2, attempts = 0 WHERE user_id = $1 AND last_step < $2",
        user_id,
        step,
    )
    return result != "UPDATE 0"
