"""`GET /health`: liveness of the node and readiness of its database, answered within a fixed time.

The database ping runs as its own task and the answer does not wait for it past `_DATABASE_TIMEOUT`: a
frozen server would otherwise hold the request while asyncpg cancels the statement and resets the
connection. A ping still running is cancelled and left to finish on its own; at most one runs at a time,
so a stalled database never piles them up.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from verifalia_server.api.shared.keys import POOL_KEY, SETTINGS_KEY
from verifalia_server.store.database import ping

_DATABASE_TIMEOUT = 2.0
_PING_KEY = web.AppKey("health_ping", dict)


async def _database_ready(app: web.Application) -> bool:
    """Whether the database answered a ping within `_DATABASE_TIMEOUT` seconds."""
    pending: dict[str, asyncio.Task[None]] = app[_PING_KEY]
    task = pending.get("ping")
    if task is None or task.done():
        task = asyncio.create_task(ping(app[POOL_KEY]), name="health-ping")
        pending["ping"] = task
    done, _ = await asyncio.wait({task}, timeout=_DATABASE_TIMEOUT)
    if not done:
        task.cancel()
        return False
    return not task.cancelled() and task.exception() is None


async def health(request: web.Request) -> web.Response:
    """200 with `database: ok` when the database answers in time, else 503 with `database: unavailable`."""
    node = request.app[SETTINGS_KEY].node_id
    if not await _database_ready(request.app):
        return web.json_response(
            {"status": "degraded", "node": node, "database": "unavailable"},
            status=503,
            headers={"Retry-After": "5"},
        )
    return web.json_response({"status": "ok", "node": node, "database": "ok"})


def setup(app: web.Application) -> None:
    """Add the health route."""
    app[_PING_KEY] = {}
    app.router.add_get("/health", health)
