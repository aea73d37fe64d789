"""LeadRocks bulk lists: an uploaded CSV file linked to the job that verifies its addresses.

API:
- `new_list_id() -> int`: a random 16-digit id that a JSON number carries exactly.
- `app_submission_lock(database_url, app_id)`: async context manager serialising one app's bulk
  submissions across nodes (a PostgreSQL advisory lock), so the concurrent-lists limit cannot be overrun.
  The lock lives on a connection of its own, never one of the pool the submission itself draws on.
- `count_active_lists(pool, app_id) -> int`: the app's lists whose job is still in progress.
- `insert_list(connection, new_list) -> int`: store a list for its job, in the transaction that created the
  job (so no job is charged without its list); returns its list id.
- `get_progress(pool, account_id, list_id) -> ListProgress | None`: how far the list's job got, without
  reading its content (what a progress poll needs). None for unknown ids, other accounts' lists and lists
  whose job was deleted or expired.
- `get_list(pool, account_id, list_id) -> BulkList | None`: the list with its content (what a download
  needs); None in the same cases.
- `list_results(pool, job_id) -> list[EntryResult]`: every entry's result, by index.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg

from verifalia_server.engine.statuses import Status
from verifalia_server.store.database import Pool, connect

LIST_ID_MIN = 1_000_000_000_000_000
# 2^53 - 1: the largest integer every JSON parser reads exactly (RFC 8259 §6).
LIST_ID_MAX = 9_007_199_254_740_991
# The advisory lock key of an app's bulk submissions.
_LOCK_KEY = "hashtextextended('leadrocks-submission:' || $1::bigint::text, 0)"
# List $1 of account $2 joined to its job, while that job is neither deleted nor expired.
_VISIBLE_LIST = (
    " FROM leadrocks_lists l JOIN jobs j ON j.id = l.job_id"
    " WHERE l.list_id = $1 AND l.account_id = $2"
    " AND j.status IN ('InProgress', 'Completed') AND (j.expires_at IS NULL OR j.expires_at > now())"
)


@dataclass(frozen=True, slots=True)
class NewList:
    """A bulk list to store, once its job exists."""

    account_id: int
    app_id: int
    job_id: uuid.UUID
    file_name: str
    email_column: str
    content: bytes
    no_of_rows: int


@dataclass(frozen=True, slots=True)
class ListProgress:
    """How far the job of a bulk list got.

    `verifying_started` is true once an entry has been verified; duplicates, settled when the list is
    stored, do not count.
    """

    list_id: int
    job_completed: bool
    verifying_started: bool


@dataclass(frozen=True, slots=True)
class BulkList:
    """A stored bulk list with its content."""

    list_id: int
    job_id: uuid.UUID
    file_name: str
    email_column: str
    content: bytes
    no_of_rows: int
    job_completed: bool


@dataclass(frozen=True, slots=True)
class EntryResult:
    """The result columns of one entry (`status` None while pending)."""

    index: int
    status: Status | None
    duplicate_of: int | None
    is_disposable: bool
    is_free: bool
    is_role: bool


def new_list_id() -> int:
    """A random list id of 16 digits."""
    return LIST_ID_MIN + secrets.randbelow(LIST_ID_MAX - LIST_ID_MIN + 1)


@asynccontextmanager
async def app_submission_lock(database_url: str, app_id: int) -> AsyncIterator[None]:
    """Hold the app's submission lock for the duration of the block (released when its connection closes)."""
    connection = await connect(database_url)
    try:
        await connection.execute(f"SELECT pg_advisory_lock({_LOCK_KEY})", app_id)
        yield
    finally:
        await connection.close()


async def count_active_lists(pool: Pool[Any], app_id: int) -> int:
    """How many of the app's lists are still being verified."""
    count: int = await pool.fetchval(
        "SELECT count(*) FROM leadrocks_lists l JOIN jobs j ON j.id = l.job_id"
        " WHERE l.app_id = $1 AND j.status = 'InProgress'",
        app_id,
    )
    return count


async def insert_list(connection: asyncpg.Connection[Any], new_list: NewList) -> int:
    """Store a bulk list under a fresh random list id and return the id.

    Meant for the transaction that creates the list's job: each attempt runs in a savepoint of its own, so
    an id already taken is retried without aborting the caller's transaction.
    """
    while True:
        list_id = new_list_id()
        try:
            async with connection.transaction():
                await connection.execute(
                    "INSERT INTO leadrocks_lists"
                    " (list_id, account_id, app_id, job_id, file_name, email_column, content, no_of_rows)"
                    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    list_id,
                    new_list.account_id,
                    new_list.app_id,
                    new_list.job_id,
                    new_list.file_name,
                    new_list.email_column,
                    new_list.content,
                    new_list.no_of_rows,
                )
        except asyncpg.UniqueViolationError as error:
            if error.constraint_name != "leadrocks_lists_pkey":
                raise
            continue
        return list_id


async def get_progress(pool: Pool[Any], account_id: int, list_id: int) -> ListProgress | None:
    """The progress of one of the account's bulk lists; its content is not read."""
    row = await pool.fetchrow(
        "SELECT l.list_id, j.status = 'Completed' AS job_completed,"
        " EXISTS (SELECT 1 FROM entries e WHERE e.job_id = l.job_id"
        " AND e.duplicate_of IS NULL AND e.status IS NOT NULL) AS verifying_started" + _VISIBLE_LIST,
        list_id,
        account_id,
    )
    return None if row is None else ListProgress(**dict(row))


async def get_list(pool: Pool[Any], account_id: int, list_id: int) -> BulkList | None:
    """Load one of the account's bulk lists with its content."""
    row = await pool.fetchrow(
        "SELECT l.list_id, l.job_id, l.file_name, l.email_column, l.content, l.no_of_rows,"
        " j.status = 'Completed' AS job_completed" + _VISIBLE_LIST,
        list_id,
        account_id,
    )
    if row is None:
        return None
    values = dict(row)
    values["content"] = bytes(values["content"])
    return BulkList(**values)


async def list_results(pool: Pool[Any], job_id: uuid.UUID) -> list[EntryResult]:
    """Every entry's result columns, ordered by index."""
    rows = await pool.fetch(
        "SELECT index, status, duplicate_of, is_disposable, is_free, is_role FROM entries"
        " WHERE job_id = $1 ORDER BY index",
        job_id,
    )
    return [
        EntryResult(
            index=row["index"],
            status=None if row["status"] is None else Status(row["status"]),
            duplicate_of=row["duplicate_of"],
            is_disposable=row["is_disposable"],
            is_free=row["is_free"],
            is_role=row["is_role"],
        )
        for row in rows
    ]
