"""Counting a user's recent submissions for rate limits, from the `jobs` table every node shares.

Every job a user submitted counts, whatever became of it (deleted and expired jobs keep their rows), so
deleting jobs frees no slot. `lock_submissions` serializes one user's submissions across every node for the
rest of the caller's transaction, so a count and the insert that follows it cannot interleave with another
node's.
"""

from __future__ import annotations

import datetime as dt
import ipaddress

from verifalia_server.store.database import Connection

# Namespaces the advisory-lock key, so it never collides with another use of advisory locks.
_LOCK_PREFIX = "submissions:"


async def lock_submissions(connection: Connection, owner: str) -> None:
    """Hold the lock on `owner`'s submissions until the caller's transaction ends (waiting while taken)."""
    await connection.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", _LOCK_PREFIX + owner)


async def seconds_until_below(
    connection: Connection,
    account_id: int,
    owner: str,
    window: dt.timedelta,
    limit: int,
    client_ip: str | None = None,
) -> float | None:
    """Seconds until `owner` has fewer than `limit` jobs created within the last `window` (from `client_ip`
    only, when given); None when it has fewer already."""
    wait: float | None = await connection.fetchval(
        "SELECT EXTRACT(EPOCH FROM created_on + $3 - clock_timestamp())::float8 FROM jobs"
        " WHERE account_id = $1 AND owner = $2 AND created_on > clock_timestamp() - $3"
        " AND ($5::inet IS NULL OR client_ip = $5::inet)"
        " ORDER BY created_on DESC OFFSET $4 - 1 LIMIT 1",
        account_id,
        owner,
        window,
        limit,
        None if client_ip is None else ipaddress.ip_address(client_ip),
    )
    return wait
