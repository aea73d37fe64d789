"""Log lines of a job's life: submitted, completed and expired, each with its counts.

API: `log_submitted(job, duplicates)`, `await log_completed(pool, job_ids)`, `log_expired(rows)`.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import asyncpg

from verifalia_server.engine.statuses import Status, classify
from verifalia_server.store.database import Pool

_log = logging.getLogger("verifalia_server.jobs")

_COUNTS_SQL = """
SELECT j.id, j.account_id, j.no_of_entries, j.source, e.status, count(*) AS entries
FROM jobs j JOIN entries e ON e.job_id = j.id
WHERE j.id = ANY($1::uuid[])
GROUP BY j.id, j.account_id, j.no_of_entries, j.source, e.status
"""


def log_submitted(
    job_id: uuid.UUID, account_id: int, source: str, quality: str, entries: int, duplicates: int
) -> None:
    """Log a job's start."""
    _log.info(
        "job %s submitted: account %d, source %s, quality %s, %d entries (%d duplicates)",
        job_id,
        account_id,
        source,
        quality,
        entries,
        duplicates,
    )


def _classifications(statuses: Counter[str]) -> str:
    counts: Counter[str] = Counter()
    for status, count in statuses.items():
        counts[classify(Status(status)).value] += count
    return ", ".join(f"{name} {counts[name]}" for name in sorted(counts))


async def log_completed(pool: Pool[Any], job_ids: Sequence[uuid.UUID]) -> None:
    """Log the completion of each job with its entries by classification (one query for all)."""
    if not job_ids or not _log.isEnabledFor(logging.INFO):
        return
    rows: list[asyncpg.Record] = await pool.fetch(_COUNTS_SQL, list(job_ids))
    jobs: dict[uuid.UUID, tuple[int, int, str]] = {}
    statuses: dict[uuid.UUID, Counter[str]] = {}
    for row in rows:
        jobs[row["id"]] = (row["account_id"], row["no_of_entries"], row["source"])
        statuses.setdefault(row["id"], Counter())[row["status"]] += row["entries"]
    for job_id, (account_id, entries, source) in jobs.items():
        _log.info(
            "job %s completed: account %d, source %s, %d entries (%s)",
            job_id,
            account_id,
            source,
            entries,
            _classifications(statuses[job_id]),
        )


def log_expired(rows: Iterable[asyncpg.Record]) -> None:
    """Log each job the retention sweep expired (rows with `id`, `account_id`, `no_of_entries`)."""
    for row in rows:
        _log.info(
            "job %s expired: account %d, %d entries deleted",
            row["id"],
            row["account_id"],
            row["no_of_entries"],
        )
