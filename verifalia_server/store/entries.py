"""Reading a job's entries.

API:
- `list_entries(pool, job_id, after_index, limit, statuses_include, statuses_exclude, *, before_index)
  -> list[Record]`: a page ordered by index (cursor = the last index seen; -1 or None from the start);
  with `before_index` the page ends just before that index and comes nearest first (index descending).
- `iter_entries(pool, job_id, chunk_size, fields) -> AsyncIterator[list[Record]]`: every entry in chunks,
  for streaming large snapshots with flat memory, holding no connection between chunks.
Each record has the columns of `ENTRY_FIELDS` (`PARSED_ADDRESS_FIELDS` among them); `status` is None while
the entry is pending and is spelled in the v2 code set otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

import asyncpg

from verifalia_server.store.database import Pool

# The columns of an entry's parsed address (`engine.syntax.ParsedAddress`).
PARSED_ADDRESS_FIELDS = (
    "email_address",
    "local_part",
    "domain_part",
    "ascii_domain_part",
    "has_international_domain_name",
    "has_international_mailbox_name",
)
ENTRY_FIELDS = (
    "index",
    "input_data",
    "custom",
    "status",
    "duplicate_of",
    *PARSED_ADDRESS_FIELDS,
    "is_disposable",
    "is_free",
    "is_role",
    "syntax_failure_index",
    "suggestions",
    "evidence",
    "completed_on",
)
_SELECT = f"SELECT {', '.join(ENTRY_FIELDS)} FROM entries"
# entries.index is a PostgreSQL integer, so every index is below 2**31.
_PAST_LAST_INDEX = 2**31


async def list_entries(
    pool: Pool[Any],
    job_id: uuid.UUID,
    after_index: int | None = None,
    limit: int | None = None,
    statuses_include: Sequence[str] | None = None,
    statuses_exclude: Sequence[str] | None = None,
    *,
    before_index: int | None = None,
) -> list[asyncpg.Record]:
    """Return a page of the job's entries ordered by index, descending when `before_index` bounds it."""
    rows: list[asyncpg.Record] = await pool.fetch(
        f"{_SELECT} WHERE job_id = $1 AND index > $2 AND index < $6::bigint"
        " AND ($3::text[] IS NULL OR status = ANY($3)) AND ($4::text[] IS NULL OR status IS NULL"
        f" OR status <> ALL($4)) ORDER BY index{'' if before_index is None else ' DESC'} LIMIT $5",
        job_id,
        -1 if after_index is None else after_index,
        None if statuses_include is None else list(statuses_include),
        None if statuses_exclude is None else list(statuses_exclude),
        limit,
        _PAST_LAST_INDEX if before_index is None else before_index,
    )
    return rows


async def iter_entries(
    pool: Pool[Any], job_id: uuid.UUID, chunk_size: int = 5000, fields: Sequence[str] = ENTRY_FIELDS
) -> AsyncIterator[list[asyncpg.Record]]:
    """Yield every entry of the job, ordered by index, in chunks of at most `chunk_size`.

    Each chunk is its own keyset query (`index` past the last one yielded) on a connection taken from the
    pool just for it, so no connection is held while the caller handles a chunk (say, writes it to a slow
    client); the next chunk is already requested meanwhile. `fields` picks columns of ENTRY_FIELDS and
    must include `index`.
    """
    unknown = set(fields) - set(ENTRY_FIELDS)
    if unknown:
        raise ValueError(f"unknown entry fields: {sorted(unknown)}")
    if "index" not in fields:
        raise ValueError("the entry fields must include index")
    query = (
        f"SELECT {', '.join(fields)} FROM entries WHERE job_id = $1 AND index > $2 ORDER BY index LIMIT $3"
    )

    async def chunk_after(index: int) -> list[asyncpg.Record]:
        rows: list[asyncpg.Record] = await pool.fetch(query, job_id, index, chunk_size)
        return rows

    pending = asyncio.ensure_future(chunk_after(-1))
    try:
        while True:
            rows = await pending
            if not rows:
                return
            pending = asyncio.ensure_future(chunk_after(rows[-1]["index"]))
            yield rows
    finally:
        if not pending.done():
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError, asyncpg.PostgresError, asyncpg.InterfaceError):
                await pending
