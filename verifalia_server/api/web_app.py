"""The web application of one node: the shared objects, the node's middleware and own routes, and each API
surface (v1.4, v2.x, LeadRocks) as a sub-application with its own error middleware."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from verifalia_server import web as web_client
from verifalia_server.api.leadrocks import routes as leadrocks
from verifalia_server.api.shared import cors, health, index, metrics, openapi
from verifalia_server.api.shared.keys import (
    CALLBACK_RESOLVER_KEY,
    CAPTCHA_VERIFIER_KEY,
    ENGINE_CONFIG_KEY,
    ENGINE_KEY,
    EVENTS_KEY,
    JWT_SECRET_KEY,
    LEADROCKS_SETTINGS_KEY,
    LIMITER_KEY,
    POOL_KEY,
    SETTINGS_KEY,
    SNAPSHOT_CACHE_KEY,
    V2_SETTINGS_KEY,
)
from verifalia_server.api.shared.limiter import ConcurrencyLimiter
from verifalia_server.api.shared.middleware import (
    collapse_slashes_middleware,
    error_middleware,
    error_middleware_for,
    limiter_middleware,
)
from verifalia_server.api.shared.protocol_errors import Application
from verifalia_server.api.shared.snapshots import SnapshotCache
from verifalia_server.api.shared.surfaces import LEADROCKS, V1_4, V2, mount
from verifalia_server.api.v1 import handlers as v1
from verifalia_server.api.v2 import routes as v2
from verifalia_server.callbacks.resolver import CallbackResolverConfig
from verifalia_server.captcha.verifier import CaptchaVerifier
from verifalia_server.engine import Engine
from verifalia_server.settings import NodeSettings
from verifalia_server.store.database import Pool
from verifalia_server.store.events import JobEvents
from verifalia_server.store.secrets import SharedSecret

_JWT_SECRET_NAME = "jwt"


def create_web_app(
    settings: NodeSettings,
    pool: Pool[Any],
    engine: Engine,
    events: JobEvents,
    callbacks: CallbackResolverConfig,
    captcha: CaptchaVerifier,
) -> web.Application:
    """The application serving every surface with the node's objects; it starts no background work."""
    service = settings.service
    app = Application(
        middlewares=[
            metrics.metrics_middleware,
            error_middleware,
            limiter_middleware,
            collapse_slashes_middleware,
        ],
        client_max_size=service.max_body_bytes,
    )
    app[SETTINGS_KEY] = service
    app[V2_SETTINGS_KEY] = settings.v2
    app[LEADROCKS_SETTINGS_KEY] = settings.leadrocks
    app[POOL_KEY] = pool
    app[ENGINE_CONFIG_KEY] = settings.engine
    app[ENGINE_KEY] = engine
    app[EVENTS_KEY] = events
    app[CALLBACK_RESOLVER_KEY] = callbacks
    app[CAPTCHA_VERIFIER_KEY] = captcha
    app[LIMITER_KEY] = ConcurrencyLimiter(service.max_concurrent_requests_per_ip)
    app[JWT_SECRET_KEY] = SharedSecret(pool, _JWT_SECRET_NAME, service.jwt_secret)
    app[SNAPSHOT_CACHE_KEY] = SnapshotCache(service.snapshot_cache_bytes)
    health.setup(app)
    metrics.setup(app)
    index.setup(app)
    openapi.setup(app)
    cors.setup_cors(app)
    web_client.setup(app)
    for surface, setup in ((V1_4, v1.setup), (V2, v2.setup), (LEADROCKS, leadrocks.setup)):
        subapp = web.Application(middlewares=[error_middleware_for(surface)])
        setup(subapp)
        mount(app, surface, subapp)
        # Handlers read the node's shared objects from their own application (`request.app`).
        for key in list(app):
            subapp[key] = app[key]
    return app
