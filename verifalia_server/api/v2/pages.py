"""Pages of a job's completed entries, forward (`cursor`) or backward (`cursor:prev`).

An entries cursor carries the first and last index of the page it describes, the status filters and the
page size, so `cursor` continues after the page and `cursor:prev` continues before it. Entries still
pending are never listed: they have no verdict yet.
"""

from __future__ import annotations

import uuid
from typing import Any

from verifalia_server.api.shared.entry import entry
from verifalia_server.api.shared.errors import bad_request
from verifalia_server.api.v2.query import Paging, cursor_limit, cursor_names, cut_page
from verifalia_server.engine.statuses import Status
from verifalia_server.store.database import Pool
from verifalia_server.store.entries import list_entries

_ALL_STATUSES = frozenset(status.value for status in Status)
_NOT_AN_ENTRIES_CURSOR = "The cursor is not an entries cursor."
# Entry indexes are PostgreSQL integers.
_MAX_INDEX = 2**31 - 1


async def entries_page(
    pool: Pool[Any],
    job_id: uuid.UUID,
    paging: Paging,
    *,
    default_limit: int,
    max_limit: int,
    include: list[str] | None = None,
    exclude: list[str] | None = None,
    with_evidence: bool = False,
) -> dict[str, Any]:
    """Return `{"meta": {"cursor", "isTruncated"}, "data": [...]}` for one page of entries."""
    cursor = paging.cursor
    if cursor is not None:
        include = cursor_names(cursor, "i", _ALL_STATUSES, _NOT_AN_ENTRIES_CURSOR)
        exclude = cursor_names(cursor, "x", _ALL_STATUSES, _NOT_AN_ENTRIES_CURSOR)
    cursor_size = cursor_limit(cursor, max_limit, _NOT_AN_ENTRIES_CURSOR) if cursor else None
    limit = paging.limit or cursor_size or default_limit
    effective_include = include if include is not None else sorted(_ALL_STATUSES)
    after = before = None
    if cursor is not None and paging.backward:
        before = _index(cursor, "f")
    elif cursor is not None:
        after = _index(cursor, "l")
    rows = await list_entries(pool, job_id, after, limit + 1, effective_include, exclude, before_index=before)
    rows, meta = cut_page(rows, limit, paging.backward, {"i": include, "x": exclude}, lambda row: row.index)
    return {"meta": meta, "data": [entry(row, with_evidence=with_evidence) for row in rows]}


def _index(cursor: dict[str, Any], key: str) -> int:
    value = cursor.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_INDEX:
        raise bad_request(_NOT_AN_ENTRIES_CURSOR)
    return value
