"""Verifalia API v2.x: the surface the official SDKs speak, under any `/v2.Y` prefix."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

from aiohttp import hdrs, web

from verifalia_server.api import cors, openapi
from verifalia_server.api.callback_resolver import (
    CALLBACK_RESOLVER_KEY,
    CallbackResolverConfig,
    callback_servers,
)
from verifalia_server.api.callbacks import CallbackDispatcher
from verifalia_server.api.keys import ENGINE_CONFIG_KEY, EVENTS_KEY, POOL_KEY, SETTINGS_KEY
from verifalia_server.api.v2 import auth_tokens, credits, entries, jobs, listing
from verifalia_server.api.v2.settings import V2_SETTINGS_KEY, V2Settings

# Any API version 2.x: the SDKs send v2.5, v2.6 and v2.7; v1.4 has its own surface.
VERSION = r"{version:v2\.[0-9]+}"

ROUTES = (
    (hdrs.METH_POST, "/email-validations", jobs.submit),
    (hdrs.METH_GET, "/email-validations", listing.list_validations),
    (hdrs.METH_GET, "/email-validations/{id}", jobs.get),
    (hdrs.METH_DELETE, "/email-validations/{id}", jobs.delete),
    (hdrs.METH_GET, "/email-validations/{id}/overview", jobs.overview),
    (hdrs.METH_GET, "/email-validations/{id}/entries", entries.get_entries),
    (hdrs.METH_GET, "/credits/balance", credits.balance),
    (hdrs.METH_GET, "/credits/daily-usage", credits.usage),
    (hdrs.METH_POST, "/auth/tokens", auth_tokens.issue_token),
)


def setup(app: web.Application) -> None:
    """Add the v2 routes, CORS preflight answers, `/openapi.json` and the completion-callback dispatcher."""
    app[V2_SETTINGS_KEY] = V2Settings.from_env(os.environ)
    engine_config = app[ENGINE_CONFIG_KEY]
    app[CALLBACK_RESOLVER_KEY] = CallbackResolverConfig(
        servers=callback_servers(os.environ, engine_config.dns_servers),
        timeout=engine_config.dns_timeout,
        allow_private=app[V2_SETTINGS_KEY].allow_private_callbacks,
    )
    for method, path, handler in ROUTES:
        app.router.add_route(method, f"/{VERSION}{path}", handler)
    for path in dict.fromkeys(path for _, path, _ in ROUTES):
        methods = [method for method, route_path, _ in ROUTES if route_path == path]
        app.router.add_route(hdrs.METH_OPTIONS, f"/{VERSION}{path}", cors.preflight(methods))
    cors.setup_cors(app)
    openapi.setup(app)
    app.cleanup_ctx.append(_callbacks)


async def _callbacks(app: web.Application) -> AsyncIterator[None]:
    """Run this node's completion-callback dispatcher while the application runs."""
    settings = app[V2_SETTINGS_KEY]
    dispatcher = CallbackDispatcher(
        app[POOL_KEY],
        app[EVENTS_KEY],
        app[SETTINGS_KEY].node_id,
        resolver=app[CALLBACK_RESOLVER_KEY],
        timeout=settings.callback_timeout,
        retry_delays=settings.callback_retry_delays,
        poll_seconds=settings.callback_poll_seconds,
    )
    await dispatcher.start()
    try:
        yield
    finally:
        await dispatcher.aclose()
