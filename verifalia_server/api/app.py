"""The aiohttp application of one node: shared objects, middleware, every API surface, and the scheduler."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from verifalia_server import web as web_client
from verifalia_server.api import health, index, leadrocks, metrics, v1, v2
from verifalia_server.api.keys import (
    ENGINE_CONFIG_KEY,
    ENGINE_KEY,
    EVENTS_KEY,
    JWT_SECRET_KEY,
    LIMITER_KEY,
    POOL_KEY,
    SETTINGS_KEY,
    SNAPSHOT_CACHE_KEY,
)
from verifalia_server.api.limiter import ConcurrencyLimiter
from verifalia_server.api.middleware import collapse_slashes_middleware, error_middleware, limiter_middleware
from verifalia_server.api.protocol_errors import Application
from verifalia_server.api.snapshots import SnapshotCache
from verifalia_server.engine import Engine
from verifalia_server.engine.config import EngineConfig
from verifalia_server.scheduler import Scheduler
from verifalia_server.settings import ServiceSettings
from verifalia_server.store.database import Pool
from verifalia_server.store.events import JobEvents
from verifalia_server.store.secrets import SharedSecret

_log = logging.getLogger(__name__)
_JWT_SECRET_NAME = "jwt"


def create_app(settings: ServiceSettings, pool: Pool[Any], engine_config: EngineConfig) -> web.Application:
    """Build a node's application; `settings.database_url` must name the database `pool` connects to."""
    if settings.database_url is None:
        raise ValueError("create_app needs settings.database_url (the job events connection uses it)")
    app = Application(
        middlewares=[
            metrics.metrics_middleware,
            error_middleware,
            limiter_middleware,
            collapse_slashes_middleware,
        ],
        client_max_size=settings.max_body_bytes,
    )
    app[SETTINGS_KEY] = settings
    app[POOL_KEY] = pool
    app[ENGINE_CONFIG_KEY] = engine_config
    app[ENGINE_KEY] = Engine(engine_config)
    app[EVENTS_KEY] = JobEvents(settings.database_url, pool)
    app[LIMITER_KEY] = ConcurrencyLimiter(settings.max_concurrent_requests_per_ip)
    app[JWT_SECRET_KEY] = SharedSecret(pool, _JWT_SECRET_NAME, settings.jwt_secret)
    app[SNAPSHOT_CACHE_KEY] = SnapshotCache(settings.snapshot_cache_bytes)
    app.cleanup_ctx.append(_background)
    health.setup(app)
    metrics.setup(app)
    index.setup(app)
    v1.setup(app)
    v2.setup(app)
    leadrocks.setup(app)
    web_client.setup(app)
    return app


async def _background(app: web.Application) -> AsyncIterator[None]:
    """Start the job events listener and the scheduler; stop them and close the engine on shutdown."""
    events = app[EVENTS_KEY]
    await events.start()
    scheduler_task: asyncio.Task[None] | None = None
    if app[SETTINGS_KEY].scheduler_enabled:
        scheduler = Scheduler(app[POOL_KEY], app[ENGINE_KEY], app[SETTINGS_KEY], events.submitted)
        scheduler_task = asyncio.create_task(scheduler.run(), name="scheduler")
    try:
        yield
    finally:
        if scheduler_task is not None:
            scheduler_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await scheduler_task
        await events.aclose()
        await app[ENGINE_KEY].aclose()
