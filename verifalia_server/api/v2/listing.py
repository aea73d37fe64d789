"""`GET /email-validations`: the caller's jobs as overviews, filtered, sorted and paged.

Filters (first page only; cursors carry them): `createdOn=YYYY-MM-DD` or `createdOn:since` /
`createdOn:until` (inclusive UTC days), `status` / `status:exclude` (job statuses; deleted and expired jobs
are left out unless asked for), `owner`, `sort=createdOn|-createdOn`. Without `cursor` and `limit` every
matching job comes in one page with `isTruncated: false`, so clients that re-send the first request never
loop.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from aiohttp import web

from verifalia_server.api.shared.auth import require
from verifalia_server.api.shared.errors import bad_request
from verifalia_server.api.shared.keys import POOL_KEY, V2_SETTINGS_KEY
from verifalia_server.api.v2 import serializers
from verifalia_server.api.v2.jobs import json_response
from verifalia_server.api.v2.query import (
    cursor_instant_position,
    cursor_limit,
    cursor_names,
    cut_page,
    date_range,
    instant_position,
    name_list,
    paging,
)
from verifalia_server.service.errors import Forbidden
from verifalia_server.service.permissions import READ_JOBS
from verifalia_server.service.text import require_storable
from verifalia_server.store.jobs import Job, JobStatus, list_jobs

_JOB_STATUSES = frozenset(status.value for status in JobStatus)
_GONE = [JobStatus.DELETED.value, JobStatus.EXPIRED.value]
_SORTS = {"createdOn": False, "-createdOn": True}
_CURSOR_KEYS = frozenset(("a", "u", "s", "x", "o", "d", "n"))
_NOT_A_CURSOR = "The cursor is not a job listing cursor."


async def list_validations(request: web.Request) -> web.Response:
    """List the account's jobs."""
    principal = await require(request, READ_JOBS)
    visible_owner = principal.visible_owner(READ_JOBS)
    max_page_size = request.app[V2_SETTINGS_KEY].max_page_size
    page = paging(request.query, max_page_size)
    filters = _filters(request.query) if page.cursor is None else _cursor_filters(page.cursor, max_page_size)
    limit = page.limit or filters.get("n")
    descending: bool = filters["d"]
    after: tuple[dt.datetime, uuid.UUID] | None = None
    if page.cursor is not None:
        after = cursor_instant_position(page.cursor, "f" if page.backward else "l", _NOT_A_CURSOR)
    jobs = await list_jobs(
        request.app[POOL_KEY],
        principal.account_id,
        created_since=_instant(filters["a"]),
        created_until=_instant(filters["u"]),
        statuses=filters["s"],
        statuses_exclude=filters["x"],
        owner=_owner(filters["o"], visible_owner),
        descending=descending != page.backward,
        after=after,
        limit=None if limit is None else limit + 1,
    )
    jobs, meta = cut_page(jobs, limit, page.backward, filters, _job_key)
    return json_response({"meta": meta, "data": [serializers.overview(job) for job in jobs]})


def _owner(asked: str | None, visible: str | None) -> str | None:
    """Whose jobs to list: the `owner` filter, within what the user may read (403 beyond it)."""
    owner = None if asked is None else require_storable(asked, "owner")
    if visible is not None and owner not in (None, visible):
        raise Forbidden(READ_JOBS.name(own=False))
    return owner if visible is None else visible


def _filters(query: Any) -> dict[str, Any]:
    since, until = date_range(query, "createdOn")
    statuses = name_list(query, "status", _JOB_STATUSES)
    excluded = name_list(query, "status:exclude", _JOB_STATUSES)
    if statuses is None and excluded is None:
        excluded = _GONE
    sort = query.get("sort", "createdOn")
    if sort not in _SORTS:
        raise bad_request(f"The 'sort' parameter must be createdOn or -createdOn, got {sort!r}.")
    return {
        "a": None if since is None else since.isoformat(),
        "u": None if until is None or until == dt.date.max else (until + dt.timedelta(days=1)).isoformat(),
        "s": statuses,
        "x": excluded,
        "o": query.get("owner") or None,
        "d": _SORTS[sort],
    }


def _cursor_filters(cursor: dict[str, Any], max_limit: int) -> dict[str, Any]:
    if not cursor.keys() >= _CURSOR_KEYS:
        raise bad_request(_NOT_A_CURSOR)
    try:
        _instant(cursor["a"])
        _instant(cursor["u"])
    except (TypeError, ValueError):
        raise bad_request(_NOT_A_CURSOR) from None
    if not isinstance(cursor["d"], bool) or not (cursor["o"] is None or isinstance(cursor["o"], str)):
        raise bad_request(_NOT_A_CURSOR)
    return {
        "a": cursor["a"],
        "u": cursor["u"],
        "s": cursor_names(cursor, "s", _JOB_STATUSES, _NOT_A_CURSOR),
        "x": cursor_names(cursor, "x", _JOB_STATUSES, _NOT_A_CURSOR),
        "o": cursor["o"],
        "d": cursor["d"],
        "n": cursor_limit(cursor, max_limit, _NOT_A_CURSOR),
    }


def _instant(day: str | None) -> dt.datetime | None:
    """The start (00:00 UTC) of a day given as YYYY-MM-DD."""
    if day is None:
        return None
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(), dt.UTC)


def _job_key(job: Job) -> list[str]:
    return instant_position(job.created_on, job.id)
