"""Completion callback deliveries (migration 010): claiming due rows under a lease and recording outcomes.

API: `claim_due(pool, node_id, lease_seconds, limit) -> list[DueDelivery]`,
`mark_delivered(pool, job_id, node_id)`, `mark_abandoned(pool, job_id, node_id, error)`,
`schedule_retry(pool, job_id, node_id, delay_seconds, error)`. Outcomes only apply while `node_id` still
holds the lease.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from verifalia_server.store.database import Pool


@dataclass(frozen=True, slots=True)
class DueDelivery:
    """A claimed delivery: where to POST, which attempt this is, and the job's name and callback options."""

    job_id: uuid.UUID
    url: str
    attempts: int
    name: str | None
    callback: dict[str, Any]


async def claim_due(pool: Pool[Any], node_id: str, lease_seconds: float, limit: int) -> list[DueDelivery]:
    """Lease up to `limit` due deliveries to `node_id` (rows leased by other nodes are skipped)."""
    rows = await pool.fetch(
        "UPDATE callback_deliveries d SET lease_owner = $1,"
        " lease_until = now() + make_interval(secs => $2), attempts = d.attempts + 1"
        " FROM jobs j"
        " WHERE j.id = d.job_id AND d.job_id IN ("
        "   SELECT job_id FROM callback_deliveries"
        "   WHERE delivered_at IS NULL AND abandoned_at IS NULL AND next_attempt_at <= now()"
        "   AND (lease_until IS NULL OR lease_until < now())"
        "   ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED)"
        " RETURNING d.job_id, d.url, d.attempts, j.name, j.callback",
        node_id,
        lease_seconds,
        limit,
    )
    return [
        DueDelivery(row["job_id"], row["url"], row["attempts"], row["name"], row["callback"] or {})
        for row in rows
    ]


async def mark_delivered(pool: Pool[Any], job_id: uuid.UUID, node_id: str) -> None:
    """Record a successful delivery."""
    await pool.execute(
        "UPDATE callback_deliveries SET delivered_at = now(), lease_owner = NULL, lease_until = NULL,"
        " last_error = NULL WHERE job_id = $1 AND lease_owner = $2",
        job_id,
        node_id,
    )


async def mark_abandoned(pool: Pool[Any], job_id: uuid.UUID, node_id: str, error: str) -> None:
    """Give up on a delivery whose retries are exhausted, keeping the last error."""
    await pool.execute(
        "UPDATE callback_deliveries SET abandoned_at = now(), lease_owner = NULL, lease_until = NULL,"
        " last_error = $3 WHERE job_id = $1 AND lease_owner = $2",
        job_id,
        node_id,
        error,
    )


async def schedule_retry(
    pool: Pool[Any], job_id: uuid.UUID, node_id: str, delay_seconds: float, error: str
) -> None:
    """Release a failed delivery to be attempted again after `delay_seconds`."""
    await pool.execute(
        "UPDATE callback_deliveries SET next_attempt_at = now() + make_interval(secs => $3),"
        " lease_owner = NULL, lease_until = NULL, last_error = $4 WHERE job_id = $1 AND lease_owner = $2",
        job_id,
        node_id,
        delay_seconds,
        error,
    )
