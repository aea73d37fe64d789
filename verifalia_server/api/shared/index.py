"""`GET /`: what this node serves and where, for a person or a probe finding their way."""

from __future__ import annotations

from aiohttp import web

from verifalia_server.api.shared.keys import SETTINGS_KEY


async def index(request: web.Request) -> web.Response:
    """Name the node and link its surfaces."""
    return web.json_response(
        {
            "service": "verifalia-server",
            "node": request.app[SETTINGS_KEY].node_id,
            "apis": {"verifalia": ["/v1.4", "/v2.6"], "leadrocks": "/v1"},
            "openapi": "/openapi.json",
            "health": "/health",
            "metrics": "/metrics",
            "webClient": "/app/",
        }
    )


def setup(app: web.Application) -> None:
    """Add the `/` route."""
    app.router.add_get("/", index)
