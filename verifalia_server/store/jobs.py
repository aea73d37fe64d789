"""Jobs: creation (job, entries, duplicates and credits in one transaction), reads, listing, deletion, expiry.

API:
- `create_job(pool, new_job, entries, cost, *, connection=None) -> Job`: one transaction inserts the job and
  its entries (COPY), charges `cost` credits (free first, recorded in daily usage) and wakes the schedulers;
  raises `InsufficientCredits` and stores nothing when the balance cannot cover it. With `connection`, that
  transaction is nested in the caller's open one and commits or rolls back with it.
- `get_job(pool, account_id, job_id) -> Job | None`: None for unknown ids and other accounts' jobs.
- `list_jobs(pool, account_id, ...) -> list[Job]`: filters on creation time, statuses and owner, keyset
  cursor `(created_on, id)` in either direction.
- `delete_job(pool, account_id, job_id, *, allow_in_progress=False) -> DeleteOutcome`.
- `expire_jobs(pool) -> int`: marks completed jobs past their retention Expired and drops their entries.
"""

from __future__ import annotations

import datetime as dt
import enum
import ipaddress
import operator
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

import asyncpg

from verifalia_server.engine.syntax import ParsedAddress
from verifalia_server.engine.verdict import Quality
from verifalia_server.store.credits import charge
from verifalia_server.store.database import Pool
from verifalia_server.store.entries import PARSED_ADDRESS_FIELDS
from verifalia_server.store.lifecycle import log_expired, log_submitted
from verifalia_server.store.tallies import TALLIES

SUBMITTED_CHANNEL = "job_submitted"
COMPLETED_CHANNEL = "job_completed"
# The priority of a job submitted without one (priorities run 0-255).
NORMAL_PRIORITY = 127


class JobStatus(enum.StrEnum):
    """The life cycle of a job."""

    IN_PROGRESS = "InProgress"
    COMPLETED = "Completed"
    DELETED = "Deleted"
    EXPIRED = "Expired"


class DeleteOutcome(enum.Enum):
    """What `delete_job` did."""

    DELETED = "deleted"
    GONE = "gone"
    IN_PROGRESS = "in_progress"
    NOT_FOUND = "not_found"


@dataclass(frozen=True, slots=True)
class NewJob:
    """The job-level fields of a submission."""

    account_id: int
    owner: str
    quality: str
    client_ip: str
    retention: dt.timedelta
    deduplication: str = "Off"
    priority: int | None = None
    name: str | None = None
    callback: dict[str, Any] | None = None
    source: str = "verifalia"


class NewEntry(NamedTuple):
    """One entry of a submission; duplicates carry `duplicate_of` and their parsed address."""

    input_data: str
    custom: str | None
    domain: str
    duplicate_of: int | None = None
    parsed: ParsedAddress | None = None


# The parsed-address columns are named after the `ParsedAddress` attributes they store.
_parsed_address_values = operator.attrgetter(*PARSED_ADDRESS_FIELDS)


def _parsed_columns(parsed: ParsedAddress | None) -> tuple[str | bool | None, ...]:
    """The `PARSED_ADDRESS_FIELDS` columns of an entry: None and False when it carries no parsed address."""
    if parsed is None:
        return (None, None, None, None, False, False)
    values: tuple[str | bool, ...] = _parsed_address_values(parsed)
    return values


@dataclass(frozen=True, slots=True)
class Job:
    """A job as stored (the v2 overview fields plus bookkeeping)."""

    id: uuid.UUID
    account_id: int
    owner: str
    name: str | None
    quality: Quality
    deduplication: str
    priority: int | None
    retention: dt.timedelta
    status: JobStatus
    client_ip: str
    created_on: dt.datetime
    submitted_on: dt.datetime
    completed_on: dt.datetime | None
    expires_at: dt.datetime | None
    no_of_entries: int
    no_of_completed: int
    credits_charged: Decimal
    callback: dict[str, Any] | None
    source: str
    # The database clock when the row was read: retention is judged by it, not by the node's clock.
    now: dt.datetime

    @property
    def is_gone(self) -> bool:
        """Deleted, expired, or completed and past its retention (even before the sweep marks it)."""
        if self.status in (JobStatus.DELETED, JobStatus.EXPIRED):
            return True
        return self.expires_at is not None and self.expires_at <= self.now

    @property
    def is_completed(self) -> bool:
        """Every entry has its final result."""
        return self.status is JobStatus.COMPLETED


_JOB_COLUMNS = (
    "id, account_id, owner, name, quality, deduplication, priority, retention, status, client_ip,"
    " created_on, submitted_on, completed_on, expires_at, no_of_entries, no_of_completed, credits_charged,"
    " callback, source, now() AS now"
)
_ENTRY_COLUMNS = (
    "job_id",
    "index",
    "input_data",
    "custom",
    "domain",
    "status",
    "duplicate_of",
    *PARSED_ADDRESS_FIELDS,
    "completed_on",
)


# Each job read converts its codes: by dictionary, not by the (slower) enum constructors.
_JOB_STATUS_BY_VALUE = {status.value: status for status in JobStatus}
_QUALITY_BY_VALUE = {quality.value: quality for quality in Quality}


def _job(row: asyncpg.Record) -> Job:
    values = dict(row)
    values["status"] = _JOB_STATUS_BY_VALUE[values["status"]]
    values["quality"] = _QUALITY_BY_VALUE[values["quality"]]
    values["client_ip"] = str(values["client_ip"])
    return Job(**values)


async def create_job(
    pool: Pool[Any],
    new_job: NewJob,
    entries: Sequence[NewEntry],
    cost: Decimal,
    *,
    connection: asyncpg.Connection[Any] | None = None,
) -> Job:
    """Store a job and its entries and charge its cost, all in one transaction.

    With `connection`, the transaction is nested in the caller's (a savepoint), so the job, its entries and
    its charge are committed or rolled back with whatever else the caller writes in its transaction.
    """
    if connection is None:
        async with pool.acquire() as acquired:
            return await _insert_job(acquired, new_job, entries, cost)
    return await _insert_job(connection, new_job, entries, cost)


async def _insert_job(
    connection: asyncpg.Connection[Any], new_job: NewJob, entries: Sequence[NewEntry], cost: Decimal
) -> Job:
    job_id = uuid.uuid4()
    completed_now = sum(1 for entry in entries if entry.duplicate_of is not None)
    async with connection.transaction():
        charged = await charge(connection, new_job.account_id, cost)
        row = await connection.fetchrow(
            "INSERT INTO jobs (id, account_id, owner, name, quality, deduplication, priority, retention,"
            " client_ip, no_of_entries, no_of_completed, credits_charged, callback, source)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
            f" RETURNING {_JOB_COLUMNS}",
            job_id,
            new_job.account_id,
            new_job.owner,
            new_job.name,
            new_job.quality,
            new_job.deduplication,
            new_job.priority,
            new_job.retention,
            ipaddress.ip_address(new_job.client_ip),
            len(entries),
            completed_now,
            charged.free_credits + charged.credit_packs,
            new_job.callback,
            new_job.source,
        )
        now = row["now"]
        await connection.copy_records_to_table(
            "entries",
            columns=_ENTRY_COLUMNS,
            records=(
                (
                    job_id,
                    index,
                    entry.input_data,
                    entry.custom,
                    entry.domain,
                    None if entry.duplicate_of is None else "Duplicate",
                    entry.duplicate_of,
                    *_parsed_columns(entry.parsed),
                    None if entry.duplicate_of is None else now,
                )
                for index, entry in enumerate(entries)
            ),
        )
        await connection.execute("SELECT pg_notify($1, $2)", SUBMITTED_CHANNEL, str(job_id))
    TALLIES.jobs_submitted[new_job.source] += 1
    log_submitted(job_id, new_job.account_id, new_job.source, new_job.quality, len(entries), completed_now)
    return _job(row)


async def get_job(pool: Pool[Any], account_id: int, job_id: uuid.UUID) -> Job | None:
    """Load one of the account's jobs."""
    row = await pool.fetchrow(
        f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = $1 AND account_id = $2", job_id, account_id
    )
    return None if row is None else _job(row)


async def list_jobs(
    pool: Pool[Any],
    account_id: int,
    *,
    created_since: dt.datetime | None = None,
    created_until: dt.datetime | None = None,
    statuses: Sequence[str] | None = None,
    statuses_exclude: Sequence[str] | None = None,
    owner: str | None = None,
    descending: bool = False,
    after: tuple[dt.datetime, uuid.UUID] | None = None,
    limit: int | None = None,
) -> list[Job]:
    """List the account's jobs by creation time; `after` is the (created_on, id) of the last job seen."""
    order = "DESC" if descending else "ASC"
    comparison = "<" if descending else ">"
    rows = await pool.fetch(
        f"SELECT {_JOB_COLUMNS} FROM jobs WHERE account_id = $1"
        " AND ($2::timestamptz IS NULL OR created_on >= $2) AND ($3::timestamptz IS NULL OR created_on < $3)"
        " AND ($4::text[] IS NULL OR status = ANY($4)) AND ($5::text[] IS NULL OR status <> ALL($5))"
        " AND ($6::text IS NULL OR owner = $6)"
        f" AND ($7::timestamptz IS NULL OR (created_on, id) {comparison} ($7, $8::uuid))"
        f" ORDER BY created_on {order}, id {order} LIMIT $9",
        account_id,
        created_since,
        created_until,
        None if statuses is None else list(statuses),
        None if statuses_exclude is None else list(statuses_exclude),
        owner,
        None if after is None else after[0],
        None if after is None else after[1],
        limit,
    )
    return [_job(row) for row in rows]


async def delete_job(
    pool: Pool[Any], account_id: int, job_id: uuid.UUID, *, allow_in_progress: bool = False
) -> DeleteOutcome:
    """Mark a job Deleted and drop its entries; jobs in progress stay unless `allow_in_progress`."""
    async with pool.acquire() as connection, connection.transaction():
        # The job row is locked before its entries, the order `record_results` takes them in.
        row = await connection.fetchrow(
            "SELECT status, expires_at <= now() AS past_retention FROM jobs"
            " WHERE id = $1 AND account_id = $2 FOR UPDATE",
            job_id,
            account_id,
        )
        if row is None:
            return DeleteOutcome.NOT_FOUND
        if row["status"] in (JobStatus.DELETED, JobStatus.EXPIRED) or row["past_retention"]:
            return DeleteOutcome.GONE
        if row["status"] == JobStatus.IN_PROGRESS and not allow_in_progress:
            return DeleteOutcome.IN_PROGRESS
        await connection.execute("UPDATE jobs SET status = 'Deleted' WHERE id = $1", job_id)
        await connection.execute("DELETE FROM entries WHERE job_id = $1", job_id)
    return DeleteOutcome.DELETED


async def expire_jobs(pool: Pool[Any]) -> int:
    """Mark completed jobs past their retention Expired and drop their entries; return how many."""
    async with pool.acquire() as connection, connection.transaction():
        expired = await connection.fetch(
            "UPDATE jobs SET status = 'Expired'"
            " WHERE status = 'Completed' AND expires_at <= now() RETURNING id, account_id, no_of_entries"
        )
        if expired:
            await connection.execute(
                "DELETE FROM entries WHERE job_id = ANY($1::uuid[])", [row["id"] for row in expired]
            )
    TALLIES.jobs_expired += len(expired)
    log_expired(expired)
    return len(expired)
