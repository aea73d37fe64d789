"""Pages of a job's completed entries, forward (`cursor`) or backward (`cursor:prev`).

An entries cursor carries the first and last index of the page it describes, the status filters and the
page size, so `cursor` continues after the page and `cursor:prev` continues before it. Entries still
pending are never listed: they have no verdict yet.
"""

from __future__ import annotations

import uuid
from typing import Any

from verifalia_server.api.v2 import serializers
from verifalia_server.api.v2.query import Paging, bad_request, cut_page
from verifalia_server.engine.statuses import Status
from verifalia_server.store.database import Pool
from verifalia_server.store.entries import list_entries

_ALL_STATUSES = [status.value for status in Status]


async def entries_page(
    pool: Pool[Any],
    job_id: uuid.UUID,
    paging: Paging,
    *,
    default_limit: int,
    include: list[str] | None = None,
    exclude: list[str] | None = None,
) -> dict[str, Any]:
    """Return `{"meta": {"cursor", "isTruncated"}, "data": [...]}` for one page of entries."""
    cursor = paging.cursor
    if cursor is not None:
        include, exclude = _statuses(cursor.get("i")), _statuses(cursor.get("x"))
    limit = paging.limit or _positive(cursor.get("n") if cursor else None) or default_limit
    effective_include = include if include is not None else _ALL_STATUSES
    after = before = None
    if cursor is not None and paging.backward:
        before = _index(cursor, "f")
    elif cursor is not None:
        after = _index(cursor, "l")
    rows = await list_entries(pool, job_id, after, limit + 1, effective_include, exclude, before_index=before)
    rows, meta = cut_page(
        rows, limit, paging.backward, {"i": include, "x": exclude}, lambda row: row["index"]
    )
    return {"meta": meta, "data": [serializers.entry(row) for row in rows]}


def _index(cursor: dict[str, Any], key: str) -> int:
    value = cursor.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_request("The cursor is not an entries cursor.")
    return value


def _positive(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _statuses(value: Any) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(
        isinstance(item, str) and item in _ALL_STATUSES for item in value
    ):
        raise bad_request("The cursor is not an entries cursor.")
    return list(value)
