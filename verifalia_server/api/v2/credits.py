"""Credit routes: `GET /credits/balance` and `GET /credits/daily-usage`.

Daily usage lists only days with usage, oldest first, filtered by `date=YYYY-MM-DD` or `date:since` /
`date:until` (inclusive UTC days, first page only; cursors carry them). Without `cursor` and `limit`
every matching day comes in one page.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web

from verifalia_server.api.shared.auth import require
from verifalia_server.api.shared.errors import bad_request
from verifalia_server.api.shared.keys import POOL_KEY, V2_SETTINGS_KEY
from verifalia_server.api.v2 import serializers
from verifalia_server.api.v2.jobs import json_response
from verifalia_server.api.v2.query import cursor_limit, cut_page, date_range, paging
from verifalia_server.service.permissions import READ_CREDITS
from verifalia_server.store.credits import daily_usage, get_balance

_NOT_A_CURSOR = "The cursor is not a daily usage cursor."


async def balance(request: web.Request) -> web.Response:
    """The account's credit packs and free daily credits."""
    principal = await require(request, READ_CREDITS)
    return json_response(serializers.balance(await get_balance(request.app[POOL_KEY], principal.account_id)))


async def usage(request: web.Request) -> web.Response:
    """The credits consumed per day."""
    principal = await require(request, READ_CREDITS)
    max_page_size = request.app[V2_SETTINGS_KEY].max_page_size
    page = paging(request.query, max_page_size)
    if page.cursor is None:
        since, until = date_range(request.query, "date")
        limit = page.limit
        after = None
    else:
        since, until = _day(page.cursor, "s"), _day(page.cursor, "u")
        carried_limit = cursor_limit(page.cursor, max_page_size, _NOT_A_CURSOR)
        limit = page.limit or carried_limit
        after = _day(page.cursor, "f" if page.backward else "l")
        if after is None:
            raise bad_request(_NOT_A_CURSOR)
    days = await daily_usage(
        request.app[POOL_KEY],
        principal.account_id,
        since=since,
        until=until,
        after=after,
        limit=None if limit is None else limit + 1,
        descending=page.backward,
    )
    filters = {
        "s": None if since is None else since.isoformat(),
        "u": None if until is None else until.isoformat(),
    }
    days, meta = cut_page(days, limit, page.backward, filters, lambda day: day.day.isoformat())
    return json_response({"meta": meta, "data": [serializers.daily_usage(day) for day in days]})


def _day(cursor: dict[str, Any], key: str) -> dt.date | None:
    value = cursor.get(key)
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise bad_request(_NOT_A_CURSOR) from None
