"""Cluster-wide figures read when metrics are scraped: the work queue and the callback deliveries.

API: `queue_depth(pool) -> QueueDepth`, `callback_backlog(pool) -> CallbackBacklog`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from verifalia_server.store.database import Pool


@dataclass(frozen=True, slots=True)
class QueueDepth:
    """Entries without a verdict, by state."""

    pending: int
    waiting_retry: int
    leased: int
    lease_expired: int


@dataclass(frozen=True, slots=True)
class CallbackBacklog:
    """Completion callbacks on record, by state."""

    pending: int
    delivered: int
    abandoned: int


_QUEUE_SQL = """
SELECT
    count(*) FILTER (WHERE lease_owner IS NULL AND (retry_at IS NULL OR retry_at <= now())) AS pending,
    count(*) FILTER (WHERE lease_owner IS NULL AND retry_at > now()) AS waiting_retry,
    count(*) FILTER (WHERE lease_owner IS NOT NULL AND lease_until >= now()) AS leased,
    count(*) FILTER (WHERE lease_owner IS NOT NULL AND lease_until < now()) AS lease_expired
FROM entries WHERE status IS NULL
"""

_CALLBACKS_SQL = """
SELECT
    count(*) FILTER (WHERE delivered_at IS NULL AND abandoned_at IS NULL) AS pending,
    count(*) FILTER (WHERE delivered_at IS NOT NULL) AS delivered,
    count(*) FILTER (WHERE abandoned_at IS NOT NULL) AS abandoned
FROM callback_deliveries
"""


async def queue_depth(pool: Pool[Any]) -> QueueDepth:
    """Count the entries still waiting for a verdict, by state."""
    row = await pool.fetchrow(_QUEUE_SQL)
    return QueueDepth(row["pending"], row["waiting_retry"], row["leased"], row["lease_expired"])


async def callback_backlog(pool: Pool[Any]) -> CallbackBacklog:
    """Count the completion callbacks on record, by state."""
    row = await pool.fetchrow(_CALLBACKS_SQL)
    return CallbackBacklog(row["pending"], row["delivered"], row["abandoned"])
