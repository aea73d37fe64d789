"""`GET /health`: liveness of the node and readiness of its database."""

from __future__ import annotations

import asyncio

import asyncpg
from aiohttp import web

from verifalia_server.api.keys import POOL_KEY, SETTINGS_KEY
from verifalia_server.store.database import ping

_DATABASE_TIMEOUT = 2.0


async def health(request: web.Request) -> web.Response:
    """200 with `database: ok` when the database answers, else 503 with `database: unavailable`."""
    node = request.app[SETTINGS_KEY].node_id
    try:
        async with asyncio.timeout(_DATABASE_TIMEOUT):
            await ping(request.app[POOL_KEY])
    except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
        return web.json_response({"status": "degraded", "node": node, "database": "unavailable"}, status=503)
    return web.json_response({"status": "ok", "node": node, "database": "ok"})


def setup(app: web.Application) -> None:
    """Add the health route."""
    app.router.add_get("/health", health)
