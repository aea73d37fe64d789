"""Reading a job's entries.

API:
- `list_entries(pool, job_id, after_index, limit, statuses_include, statuses_exclude, *, before_index)
  -> list[StoredEntry]`: a page ordered by index (cursor = the last index seen; -1 or None from the start);
  with `before_index` the page ends just before that index and comes nearest first (index descending).
- `iter_entries(pool, job_id, chunk_size, fields) -> AsyncIterator[list[Record]]`: every entry in chunks,
  for streaming large snapshots with flat memory, holding no connection between chunks.
- `iter_stored_entries(pool, job_id, chunk_size, *, details=True) -> AsyncIterator[list[StoredEntry]]`:
  the same chunks as typed entries (without suggestions and evidence when `details` is False);
  `iter_entry_rows` (same arguments) yields the rows they are made from, in `StoredEntry` order.
`StoredEntry` is the one typed shape of a stored entry, built from a row by `StoredEntry.from_row`; its
`status` is None while the entry is pending. Records have the columns of `ENTRY_FIELDS`
(`PARSED_ADDRESS_FIELDS` among them). Evidence is stored as JSON by `stored_evidence` and read back by
`evidence_of`, with the keys of `EVIDENCE_KEYS`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, NamedTuple

import asyncpg

from verifalia_server.engine.statuses import Status
from verifalia_server.engine.verdict import Evidence, Verdict
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
# The JSON keys of the stored evidence (`entries.evidence`), one per `Evidence` attribute.
EVIDENCE_KEYS = {
    "mx_host": "mxHost",
    "command": "command",
    "reply_code": "replyCode",
    "enhanced_code": "enhancedCode",
    "reply_text": "replyText",
    "egress": "egress",
}


def stored_evidence(evidence: Evidence | None) -> dict[str, Any] | None:
    """The JSON object stored for an entry's evidence (None when it has none)."""
    if evidence is None:
        return None
    return {key: getattr(evidence, attribute) for attribute, key in EVIDENCE_KEYS.items()}


def evidence_of(stored: Any) -> Evidence | None:
    """The evidence an entry stored (a key missing from older rows reads as None)."""
    if not isinstance(stored, Mapping):
        return None
    return Evidence(**{attribute: stored.get(key) for attribute, key in EVIDENCE_KEYS.items()})


class StoredEntry(NamedTuple):
    """One entry as stored: its input, and its verdict once verified (`status` None while pending).

    Each attribute is the column of the same name (`ENTRY_FIELDS`); the parsed address is
    `PARSED_ADDRESS_FIELDS`. A named tuple: snapshots and exports build one per entry, cheaply.
    """

    index: int  # type: ignore[assignment]  # the column is named index; tuple.index is never used
    input_data: str
    custom: str | None
    status: Status | None
    duplicate_of: int | None
    email_address: str | None
    local_part: str | None
    domain_part: str | None
    ascii_domain_part: str | None
    has_international_domain_name: bool
    has_international_mailbox_name: bool
    is_disposable: bool
    is_free: bool
    is_role: bool
    syntax_failure_index: int | None
    suggestions: tuple[str, ...]
    evidence: Evidence | None
    completed_on: dt.datetime | None

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> StoredEntry:
        """The entry of a row with the columns of `ENTRY_FIELDS`, in that order (as every query here has)."""
        # Read by position, converting only the values that need it: this runs once per entry of every
        # snapshot and export.
        values = list(row)
        status = values[_STATUS_POSITION]
        if status is not None:
            values[_STATUS_POSITION] = _STATUS_BY_VALUE[status]
        suggestions = values[_SUGGESTIONS_POSITION]
        values[_SUGGESTIONS_POSITION] = () if suggestions is None else tuple(suggestions)
        evidence = values[_EVIDENCE_POSITION]
        if evidence is not None:
            values[_EVIDENCE_POSITION] = evidence_of(evidence)
        return cls._make(values)

    @classmethod
    def from_verdict(cls, index: int, verdict: Verdict, completed_on: dt.datetime) -> StoredEntry:
        """The entry a verdict makes, as it would be stored (no custom data, no duplicate)."""
        return cls(
            index=index,
            input_data=verdict.input_data,
            custom=None,
            status=verdict.status,
            duplicate_of=None,
            email_address=verdict.email_address,
            local_part=verdict.local_part,
            domain_part=verdict.domain_part,
            ascii_domain_part=verdict.ascii_domain_part,
            has_international_domain_name=verdict.has_international_domain_name,
            has_international_mailbox_name=verdict.has_international_mailbox_name,
            is_disposable=verdict.is_disposable,
            is_free=verdict.is_free,
            is_role=verdict.is_role,
            syntax_failure_index=verdict.syntax_failure_index,
            suggestions=verdict.suggestions,
            evidence=verdict.evidence,
            completed_on=completed_on,
        )


# The entries table's columns, one per `StoredEntry` attribute.
ENTRY_FIELDS = StoredEntry._fields
_STATUS_POSITION = ENTRY_FIELDS.index("status")
_SUGGESTIONS_POSITION = ENTRY_FIELDS.index("suggestions")
_EVIDENCE_POSITION = ENTRY_FIELDS.index("evidence")
_STATUS_BY_VALUE = {status.value: status for status in Status}
_SELECT = f"SELECT {', '.join(ENTRY_FIELDS)} FROM entries"
# Suggestions and evidence are only read where they are shown; elsewhere they are selected as NULL, so
# every row keeps the shape of ENTRY_FIELDS.
_SUMMARY_COLUMNS = tuple(
    f"NULL AS {name}" if name in ("suggestions", "evidence") else name for name in ENTRY_FIELDS
)
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
) -> list[StoredEntry]:
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
    return list(map(StoredEntry.from_row, rows))


def iter_entries(
    pool: Pool[Any], job_id: uuid.UUID, chunk_size: int = 5000, fields: Sequence[str] = ENTRY_FIELDS
) -> AsyncIterator[list[asyncpg.Record]]:
    """Every entry of the job, ordered by index, in chunks of at most `chunk_size`.

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
    return _chunks(pool, job_id, chunk_size, fields)


async def _chunks(
    pool: Pool[Any], job_id: uuid.UUID, chunk_size: int, columns: Sequence[str]
) -> AsyncIterator[list[asyncpg.Record]]:
    """The chunks of `iter_entries`, each row with `columns` (SQL select items, `index` among them)."""
    query = (
        f"SELECT {', '.join(columns)} FROM entries WHERE job_id = $1 AND index > $2 ORDER BY index LIMIT $3"
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


async def iter_stored_entries(
    pool: Pool[Any], job_id: uuid.UUID, chunk_size: int = 5000, *, details: bool = True
) -> AsyncIterator[list[StoredEntry]]:
    """Yield every entry of the job as `StoredEntry`s, as `iter_entries` chunks them.

    Without `details`, suggestions and evidence are not read (they come back empty).
    """
    async for rows in iter_entry_rows(pool, job_id, chunk_size, details=details):
        yield list(map(StoredEntry.from_row, rows))


def iter_entry_rows(
    pool: Pool[Any], job_id: uuid.UUID, chunk_size: int = 5000, *, details: bool = True
) -> AsyncIterator[list[asyncpg.Record]]:
    """The chunks of `iter_stored_entries` as the rows they are made from, for a reader that renders each
    row once (a large snapshot): each row holds the values of a `StoredEntry` in order, except that the
    status is its code (a `Status` value) and, without `details`, suggestions and evidence are None.
    """
    return _chunks(pool, job_id, chunk_size, ENTRY_FIELDS if details else _SUMMARY_COLUMNS)
