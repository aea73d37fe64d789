"""Query-string values of the v2 API: integers, dates, status sets, opaque paging cursors and the pages cut
from listings.

Keys may arrive with a literal `:` (`cursor:prev`, `createdOn:since`) or percent-encoded (`%3A`); the URL
parser decodes both to the same key. A cursor is URL-safe base64 of a small JSON object that carries the
position of the page it came from and the filters of the listing, so follow-up requests need nothing else.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson

from verifalia_server.api.shared.errors import bad_request
from verifalia_server.engine.statuses import Status

Row = TypeVar("Row")


@dataclass(frozen=True, slots=True)
class Paging:
    """Where a listing request starts: a decoded cursor (or None for the first page) and its direction."""

    cursor: dict[str, Any] | None
    backward: bool
    limit: int | None


def encode_cursor(payload: Mapping[str, Any]) -> str:
    """Encode a cursor payload as an opaque URL-safe string."""
    # RFC 4648 §5: base64url, padding dropped.
    return base64.urlsafe_b64encode(orjson.dumps(payload)).rstrip(b"=").decode("ascii")


def decode_cursor(text: str, key: str) -> dict[str, Any]:
    """Decode a cursor made by `encode_cursor`; 400 when it is not one."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        payload = orjson.loads(raw)
    except (binascii.Error, ValueError):
        raise bad_request(f"The {key!r} parameter is not a valid cursor.") from None
    if not isinstance(payload, dict):
        raise bad_request(f"The {key!r} parameter is not a valid cursor.")
    return payload


def cut_page(
    rows: Sequence[Row],
    limit: int | None,
    backward: bool,
    filters: Mapping[str, Any],
    position: Callable[[Row], Any],
) -> tuple[list[Row], dict[str, Any]]:
    """Cut rows fetched with `limit + 1` (nearest first when `backward`) to one page in listing order.

    Returns the page and its `meta`: `isTruncated` and, unless the page is empty, a cursor carrying `filters`,
    the limit (`n`) and the positions of the first (`f`) and last (`l`) row.
    """
    page = list(rows[:limit])
    if backward:
        page.reverse()
    meta: dict[str, Any] = {"isTruncated": limit is not None and len(rows) > limit}
    if page:
        meta["cursor"] = encode_cursor(
            {**filters, "n": limit, "f": position(page[0]), "l": position(page[-1])}
        )
    return page, meta


def paging(query: Mapping[str, str], max_limit: int) -> Paging:
    """Read `cursor` / `cursor:prev` and `limit`; `limit` above `max_limit` is lowered to it."""
    forward = query.get("cursor")
    backward = query.get("cursor:prev")
    if forward and backward:
        raise bad_request("Pass either 'cursor' or 'cursor:prev', not both.")
    limit = optional_int(query, "limit", minimum=1)
    if backward:
        return Paging(decode_cursor(backward, "cursor:prev"), True, _clamp(limit, max_limit))
    if forward:
        return Paging(decode_cursor(forward, "cursor"), False, _clamp(limit, max_limit))
    return Paging(None, False, _clamp(limit, max_limit))


def optional_int(query: Mapping[str, str], key: str, *, minimum: int = 0) -> int | None:
    """An integer parameter, None when absent; 400 when it is not an integer >= `minimum`."""
    raw = query.get(key)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f"The {key!r} parameter must be an integer, got {raw!r}.") from None
    if value < minimum:
        raise bad_request(f"The {key!r} parameter must be at least {minimum}, got {value}.")
    return value


def optional_date(query: Mapping[str, str], key: str) -> dt.date | None:
    """A `YYYY-MM-DD` parameter, None when absent; 400 when malformed."""
    raw = query.get(key)
    if raw is None or raw == "":
        return None
    try:
        # RFC 3339 §5.6: full-date.
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise bad_request(f"The {key!r} parameter must be a date as YYYY-MM-DD, got {raw!r}.") from None


def date_range(query: Mapping[str, str], field: str) -> tuple[dt.date | None, dt.date | None]:
    """Read `<field>=D` or `<field>:since` / `<field>:until` as an inclusive range of days."""
    exact = optional_date(query, field)
    since = optional_date(query, f"{field}:since")
    until = optional_date(query, f"{field}:until")
    if exact is not None:
        if since is not None or until is not None:
            raise bad_request(
                f"Pass either {field!r} or {field + ':since'!r}/{field + ':until'!r}, not both."
            )
        return exact, exact
    if since is not None and until is not None and until < since:
        raise bad_request(f"{field + ':until'!r} ({until}) is before {field + ':since'!r} ({since}).")
    return since, until


def name_list(query: Mapping[str, str], key: str, allowed: frozenset[str]) -> list[str] | None:
    """A comma-separated set of names (`status=A,B`), None when absent; 400 on an unknown name."""
    raw = query.get(key)
    if raw is None or raw.strip() == "":
        return None
    names = [name.strip() for name in raw.split(",") if name.strip()]
    unknown = [name for name in names if name not in allowed]
    if unknown:
        raise bad_request(f"The {key!r} parameter holds unknown values: {', '.join(unknown)}.")
    return names


def entry_status_filters(query: Mapping[str, str]) -> tuple[list[str] | None, list[str] | None]:
    """Read `status` (or its synonym `status:include`) and `status:exclude` entry status sets."""
    allowed = frozenset(status.value for status in Status)
    include = name_list(query, "status", allowed)
    include_synonym = name_list(query, "status:include", allowed)
    if include is not None and include_synonym is not None:
        raise bad_request("Pass either 'status' or 'status:include', not both.")
    return include if include is not None else include_synonym, name_list(query, "status:exclude", allowed)


def cursor_limit(cursor: Mapping[str, Any], max_limit: int, detail: str) -> int | None:
    """A cursor's page size `n`: None (every row) or a positive integer lowered to `max_limit`; 400 with
    `detail` when it is anything else."""
    value = cursor.get("n")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise bad_request(detail)
    return min(value, max_limit)


def cursor_names(
    cursor: Mapping[str, Any], key: str, allowed: frozenset[str], detail: str
) -> list[str] | None:
    """A cursor's set of names under `key`: None or a list of names out of `allowed`; 400 with `detail`
    otherwise."""
    value = cursor.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(name, str) and name in allowed for name in value):
        raise bad_request(detail)
    return list(value)


def instant_position(instant: dt.datetime, row_id: uuid.UUID) -> list[str]:
    """A row's position in a listing ordered by time, then id, as a cursor holds it."""
    return [instant.isoformat(), str(row_id)]


def cursor_instant_position(
    cursor: Mapping[str, Any], key: str, detail: str
) -> tuple[dt.datetime, uuid.UUID]:
    """The position under `key` written by `instant_position` (an ISO 8601 instant with its offset and a
    UUID); 400 with `detail` when it is anything else."""
    try:
        instant_text, row_id = cursor[key]
        instant = dt.datetime.fromisoformat(instant_text)
        if instant.tzinfo is None or not isinstance(row_id, str):
            raise ValueError(key)
        return instant, uuid.UUID(row_id)
    except (KeyError, TypeError, ValueError):
        raise bad_request(detail) from None


def _clamp(limit: int | None, max_limit: int) -> int | None:
    return None if limit is None else min(limit, max_limit)
