"""`GET /users` (API v2.7 and later): the account's users as overviews, filtered, sorted and paged.

Filters (first page only; cursors carry them): `includeDeleted=true` (deleted users are left out
otherwise), `type` (`Administrator`, `Standard` or `BrowserApp`, as the C# SDK's `UserTypeMatchPredicate`
sends it; several may be given comma-separated),
`sort=createdOn|-createdOn|displayName|-displayName`; an empty value means the parameter is absent. Listing
needs `users:read` account-wide.
Without `cursor` and `limit` every matching user comes in one page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from verifalia_server.api.shared.auth import authenticate
from verifalia_server.api.shared.errors import bad_request
from verifalia_server.api.shared.keys import POOL_KEY, V2_SETTINGS_KEY
from verifalia_server.api.v2 import user_wire
from verifalia_server.api.v2.jobs import json_response
from verifalia_server.api.v2.query import cursor_limit, cursor_names, cut_page, name_list, paging
from verifalia_server.service import users
from verifalia_server.service.permissions import READ_USERS, UserType
from verifalia_server.service.text import is_storable
from verifalia_server.store.users import User, sort_key

_TYPE_NAMES = frozenset(user_type.value for user_type in UserType)
# Each sort: (by display name, descending).
_SORTS = {
    "createdOn": (False, False),
    "-createdOn": (False, True),
    "displayName": (True, False),
    "-displayName": (True, True),
}
_BOOLEANS = {"true": True, "false": False}
_CURSOR_KEYS = frozenset(("i", "t", "s", "d", "n"))
_NOT_A_CURSOR = "The cursor is not a user listing cursor."


async def list_users(request: web.Request) -> web.Response:
    """List the account's users."""
    principal = await authenticate(request)
    principal.require_account_wide(READ_USERS)
    max_page_size = request.app[V2_SETTINGS_KEY].max_page_size
    page = paging(request.query, max_page_size)
    filters = _filters(request.query) if page.cursor is None else _cursor_filters(page.cursor, max_page_size)
    limit = page.limit or filters.get("n")
    by_name: bool = filters["s"]
    listing = users.UserListing(
        include_deleted=filters["i"],
        types=None if filters["t"] is None else tuple(UserType(name) for name in filters["t"]),
        by_name=by_name,
        descending=filters["d"] != page.backward,
        after=None if page.cursor is None else _key(page.cursor, "f" if page.backward else "l", by_name),
        limit=None if limit is None else limit + 1,
    )
    found = await users.list_users(request.app[POOL_KEY], principal, listing)
    shown, meta = cut_page(found, limit, page.backward, filters, lambda user: _position(user, by_name))
    return json_response({"meta": meta, "data": [user_wire.overview(user) for user in shown]})


def _filters(query: Mapping[str, str]) -> dict[str, Any]:
    include_deleted = query.get("includeDeleted", "") or "false"
    if include_deleted not in _BOOLEANS:
        raise bad_request(f"The 'includeDeleted' parameter must be true or false, got {include_deleted!r}.")
    sort = query.get("sort", "") or "createdOn"
    if sort not in _SORTS:
        raise bad_request(f"The 'sort' parameter must be one of {', '.join(_SORTS)}, got {sort!r}.")
    by_name, descending = _SORTS[sort]
    types = name_list(query, "type", _TYPE_NAMES)
    return {
        "i": _BOOLEANS[include_deleted],
        "t": None if types is None else sorted(set(types)),
        "s": by_name,
        "d": descending,
    }


def _cursor_filters(cursor: dict[str, Any], max_limit: int) -> dict[str, Any]:
    if not cursor.keys() >= _CURSOR_KEYS or not all(isinstance(cursor[key], bool) for key in "isd"):
        raise bad_request(_NOT_A_CURSOR)
    return {
        "i": cursor["i"],
        "t": cursor_names(cursor, "t", _TYPE_NAMES, _NOT_A_CURSOR),
        "s": cursor["s"],
        "d": cursor["d"],
        "n": cursor_limit(cursor, max_limit, _NOT_A_CURSOR),
    }


def _position(user: User, by_name: bool) -> list[str]:
    key, user_id = sort_key(user, by_name)
    return [key if isinstance(key, str) else key.isoformat(), user_id]


def _key(cursor: dict[str, Any], field: str, by_name: bool) -> tuple[dt.datetime | str, str]:
    try:
        key, user_id = cursor[field]
        if not (isinstance(key, str) and isinstance(user_id, str) and is_storable(key + user_id)):
            raise ValueError(field)
        if by_name:
            return key, user_id
        instant = dt.datetime.fromisoformat(key)
        if instant.tzinfo is None:
            raise ValueError(field)
        return instant, user_id
    except (KeyError, TypeError, ValueError):
        raise bad_request(_NOT_A_CURSOR) from None
