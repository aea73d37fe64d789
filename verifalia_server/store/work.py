"""The scheduler's side of the store: runnable jobs, leased claims and lease-guarded result writes.

API:
- `runnable_jobs(pool) -> list[RunnableJob]`: jobs in progress with at least one claimable entry
  (pending, due, and not leased or with an expired lease).
- `claim(pool, job_id, owner, lease_seconds, limit) -> list[Claim]`: leases up to `limit` claimable
  entries with `FOR UPDATE SKIP LOCKED`, so nodes never claim the same entry at once.
- `extend_leases(pool, owner, claims, lease_seconds) -> int`: keeps a long batch's entries leased.
- `record_results(pool, owner, outcomes) -> list[UUID]`: one transaction writes final results (the
  engine's verdicts, stored as they are) and reschedules temporary ones, only for entries still leased
  by `owner` (so each entry gets exactly one result), releases the leases, advances job counters,
  completes finished jobs and NOTIFYs `job_completed`; returns the ids of the jobs it completed.

The store takes the engine's `Verdict` data type as is (the engine knows nothing of the store): the verdict
columns are listed once (`_VERDICT_COLUMNS`), and the statement that writes them is built from that list.
"""

from __future__ import annotations

import logging
import operator
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from verifalia_server.engine.verdict import Quality, Verdict
from verifalia_server.store.database import Pool
from verifalia_server.store.entries import PARSED_ADDRESS_FIELDS, stored_evidence
from verifalia_server.store.jobs import COMPLETED_CHANNEL
from verifalia_server.store.lifecycle import log_completed
from verifalia_server.store.tallies import TALLIES

_log = logging.getLogger(__name__)

_CLAIMABLE = (
    "e.status IS NULL AND (e.retry_at IS NULL OR e.retry_at <= now())"
    " AND (e.lease_until IS NULL OR e.lease_until < now())"
)


@dataclass(frozen=True, slots=True)
class RunnableJob:
    """A job with entries ready to be claimed."""

    id: uuid.UUID
    account_id: int
    priority: int | None
    quality: Quality


@dataclass(frozen=True, slots=True)
class Claim:
    """A leased entry to verify."""

    job_id: uuid.UUID
    index: int
    input_data: str
    domain: str
    attempt: int
    # When the entry's job was submitted, in seconds since the epoch.
    submitted_at: float


@dataclass(frozen=True, slots=True)
class EntryResult:
    """The final verdict of one entry."""

    index: int
    verdict: Verdict


@dataclass(frozen=True, slots=True)
class Retry:
    """A temporary outcome: the entry goes back to the pool, due again after `delay` seconds."""

    index: int
    delay: float
    # False when the entry waits for a throttling mail exchanger: no attempt of its schedule is spent.
    spends_attempt: bool = True


@dataclass
class JobOutcomes:
    """What one batch produced for one job."""

    results: list[EntryResult] = field(default_factory=list)
    retries: list[Retry] = field(default_factory=list)


async def runnable_jobs(pool: Pool[Any]) -> list[RunnableJob]:
    """Return the jobs in progress that have claimable entries."""
    rows = await pool.fetch(
        "SELECT j.id, j.account_id, j.priority, j.quality FROM jobs j WHERE j.status = 'InProgress'"
        f" AND EXISTS (SELECT 1 FROM entries e WHERE e.job_id = j.id AND {_CLAIMABLE})"
    )
    return [
        RunnableJob(row["id"], row["account_id"], row["priority"], Quality(row["quality"])) for row in rows
    ]


async def claim(
    pool: Pool[Any], job_id: uuid.UUID, owner: str, lease_seconds: float, limit: int
) -> list[Claim]:
    """Lease up to `limit` claimable entries of a job, lowest index first."""
    rows = await pool.fetch(
        "UPDATE entries AS t SET lease_owner = $2, lease_until = now() + make_interval(secs => $3)"
        " FROM (SELECT e.job_id, e.index, e.lease_owner IS NOT NULL AS expired FROM entries e"
        f" WHERE e.job_id = $1 AND {_CLAIMABLE} ORDER BY e.index LIMIT $4 FOR UPDATE SKIP LOCKED) AS c"
        " JOIN jobs j ON j.id = c.job_id"
        " WHERE t.job_id = c.job_id AND t.index = c.index"
        " RETURNING t.index, t.input_data, t.domain, t.attempt, c.expired,"
        " extract(epoch FROM j.submitted_on)::float8 AS submitted_at",
        job_id,
        owner,
        lease_seconds,
        limit,
    )
    # A claimable entry that still names an owner is one whose lease expired (its owner died or stalled).
    TALLIES.leases_expired += sum(1 for row in rows if row["expired"])
    return [
        Claim(job_id, row["index"], row["input_data"], row["domain"], row["attempt"], row["submitted_at"])
        for row in rows
    ]


async def extend_leases(
    pool: Pool[Any], owner: str, claims: Mapping[uuid.UUID, Sequence[int]], lease_seconds: float
) -> int:
    """Push back the expiry of entries `owner` still holds; return how many it still holds."""
    extended = 0
    for job_id, indexes in claims.items():
        status = await pool.execute(
            "UPDATE entries SET lease_until = now() + make_interval(secs => $4)"
            " WHERE job_id = $1 AND index = ANY($2::int[]) AND lease_owner = $3 AND status IS NULL",
            job_id,
            list(indexes),
            owner,
            lease_seconds,
        )
        extended += int(status.split()[-1])
    return extended


def _json_text(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def _suggestions_text(suggestions: Sequence[str]) -> str:
    return orjson.dumps(list(suggestions)).decode() if suggestions else "[]"


# The verdict attributes stored as they are, each in the column of its name, with the SQL type of the array
# it travels in.
_PLAIN_COLUMNS: tuple[tuple[str, str], ...] = (
    *((name, "text") for name in PARSED_ADDRESS_FIELDS[:4]),
    *((name, "bool") for name in PARSED_ADDRESS_FIELDS[4:]),
    *((name, "bool") for name in ("is_disposable", "is_free", "is_role")),
    ("syntax_failure_index", "int"),
)
_plain_values = operator.attrgetter(*(name for name, _ in _PLAIN_COLUMNS))
# Every verdict column, in the order `_row` gives their values: the status, the plain attributes, then the
# suggestions and the evidence, which travel as JSON text.
_VERDICT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("status", "text"),
    *_PLAIN_COLUMNS,
    ("suggestions", "text"),
    ("evidence", "text"),
)
_COLUMN_VALUES = {
    "suggestions": "ARRAY(SELECT jsonb_array_elements_text(r.suggestions::jsonb))",
    "evidence": "r.evidence::jsonb",
}
_WRITE_RESULTS = (
    "UPDATE entries AS e SET "
    + ", ".join(f"{name} = {_COLUMN_VALUES.get(name, f'r.{name}')}" for name, _ in _VERDICT_COLUMNS)
    + ", completed_on = now(), lease_owner = NULL, lease_until = NULL, retry_at = NULL"
    + " FROM unnest($3::int[], "
    + ", ".join(f"${number}::{kind}[]" for number, (_, kind) in enumerate(_VERDICT_COLUMNS, start=4))
    + ") AS r(index, "
    + ", ".join(name for name, _ in _VERDICT_COLUMNS)
    + ") WHERE e.job_id = $1 AND e.index = r.index AND e.lease_owner = $2 AND e.status IS NULL"
)

_WRITE_RETRIES = """
UPDATE entries AS e SET attempt = e.attempt + r.spent, retry_at = now() + make_interval(secs => r.delay),
    lease_owner = NULL, lease_until = NULL
FROM unnest($3::int[], $4::float8[], $5::int[]) AS r(index, delay, spent)
WHERE e.job_id = $1 AND e.index = r.index AND e.lease_owner = $2 AND e.status IS NULL
"""

_LOCK_JOB = "SELECT 1 FROM jobs WHERE id = $1 FOR NO KEY UPDATE"

_ADVANCE_JOB = """
UPDATE jobs SET
    no_of_completed = no_of_completed + $2,
    status = CASE WHEN no_of_completed + $2 >= no_of_entries THEN 'Completed' ELSE status END,
    completed_on = CASE WHEN no_of_completed + $2 >= no_of_entries THEN now() ELSE completed_on END,
    expires_at = CASE WHEN no_of_completed + $2 >= no_of_entries THEN now() + retention ELSE expires_at END
WHERE id = $1 AND status = 'InProgress'
RETURNING status
"""


def _row(result: EntryResult) -> tuple[Any, ...]:
    verdict = result.verdict
    return (
        result.index,
        verdict.status.value,
        *_plain_values(verdict),
        _suggestions_text(verdict.suggestions),
        _json_text(stored_evidence(verdict.evidence)),
    )


def _columns(results: Sequence[EntryResult]) -> list[list[Any]]:
    """The results as the column arrays `_WRITE_RESULTS` unnests, in its parameter order ($3...)."""
    return [list(column) for column in zip(*map(_row, results), strict=True)]


async def record_results(
    pool: Pool[Any], owner: str, outcomes: Mapping[uuid.UUID, JobOutcomes]
) -> list[uuid.UUID]:
    """Write a batch's results and retries in one transaction; return the ids of jobs it completed."""
    completed: list[uuid.UUID] = []
    verified: Counter[str] = Counter()
    refused = 0
    async with pool.acquire() as connection, connection.transaction():
        for job_id in sorted(outcomes):
            outcome = outcomes[job_id]
            # The job row is locked before its entries, the order `delete_job` takes them in.
            await connection.execute(_LOCK_JOB, job_id)
            written = 0
            if outcome.results:
                status = await connection.execute(_WRITE_RESULTS, job_id, owner, *_columns(outcome.results))
                written = int(status.split()[-1])
                verified.update(result.verdict.status.value for result in outcome.results)
                refused += len(outcome.results) - written
            if outcome.retries:
                await connection.execute(
                    _WRITE_RETRIES,
                    job_id,
                    owner,
                    [retry.index for retry in outcome.retries],
                    [retry.delay for retry in outcome.retries],
                    [int(retry.spends_attempt) for retry in outcome.retries],
                )
            if written:
                job_status = await connection.fetchval(_ADVANCE_JOB, job_id, written)
                if job_status == "Completed":
                    await connection.execute("SELECT pg_notify($1, $2)", COMPLETED_CHANNEL, str(job_id))
                    completed.append(job_id)
    # Counted once committed; a refused result (its lease lost) is counted among the verdicts too.
    TALLIES.entries_verified.update(verified)
    TALLIES.results_refused += refused
    TALLIES.jobs_completed += len(completed)
    try:
        await log_completed(pool, completed)
    except Exception:
        _log.exception("logging the completion of %d jobs failed", len(completed))
    return completed
