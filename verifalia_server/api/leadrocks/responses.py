"""The LeadRocks success object and the guard that turns unexpected failures into error 102."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import orjson
from aiohttp import web

from verifalia_server.api.leadrocks.codes import ErrorCode
from verifalia_server.api.leadrocks.errors import LeadRocksError
from verifalia_server.api.shared.errors import ApiError
from verifalia_server.service.errors import DomainError

_log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def success(data: dict[str, Any]) -> web.Response:
    """`{"status": "success", "data": {...}}`."""
    return web.Response(
        body=orjson.dumps({"status": "success", "data": data}),
        content_type="application/json",
        charset="utf-8",
    )


def json_number(value: Decimal) -> int | float:
    """A decimal as a JSON number: whole values without a fraction."""
    return int(value) if value == value.to_integral_value() else float(value)


def leadrocks_handler(handler: Handler) -> Handler:
    """Let API errors and business failures through (the surface's error middleware answers them) and
    answer anything unexpected with error 102 (logged, no details leaked)."""

    @functools.wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except (ApiError, DomainError, web.HTTPException, ConnectionResetError):
            raise
        except Exception:
            _log.exception("LeadRocks request %s %s failed", request.method, request.path)
            raise LeadRocksError(ErrorCode.INTERNAL_ERROR) from None

    return guarded
