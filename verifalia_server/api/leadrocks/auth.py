"""App-token authentication: `Authorization: <token>` or `Authorization: Bearer <token>`."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from verifalia_server.api.leadrocks.codes import ErrorCode
from verifalia_server.api.leadrocks.errors import LeadRocksError
from verifalia_server.store.apps import App, find_app_by_token
from verifalia_server.store.database import Pool

# RFC 6750 §2.1: the "Bearer" scheme name is case-insensitive (RFC 9110 §11.1).
_BEARER = "bearer "


def presented_token(request: web.Request) -> str:
    """The token of the request's Authorization header, with or without the Bearer scheme ("" if none)."""
    header = request.headers.get("Authorization", "").strip()
    if header[: len(_BEARER)].lower() == _BEARER:
        header = header[len(_BEARER) :]
    return header.strip()


async def authenticate(request: web.Request, pool: Pool[Any]) -> App:
    """The enabled app the request's token belongs to; error 100 for a missing, unknown or disabled token."""
    token = presented_token(request)
    app = await find_app_by_token(pool, token) if token else None
    if app is None or not app.enabled:
        raise LeadRocksError(ErrorCode.INVALID_TOKEN)
    return app
