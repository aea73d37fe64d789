"""Verifalia API v2.x: the surface the official SDKs speak, under any `/v2.Y` prefix."""

from __future__ import annotations

from aiohttp import hdrs, web

from verifalia_server.api.shared import cors
from verifalia_server.api.v2 import auth_tokens, credits, entries, jobs, listing

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
    """Add the v2 routes and their CORS preflight answers."""
    for method, path, handler in ROUTES:
        app.router.add_route(method, f"/{VERSION}{path}", handler)
    for path in dict.fromkeys(path for _, path, _ in ROUTES):
        methods = [method for method, route_path, _ in ROUTES if route_path == path]
        app.router.add_route(hdrs.METH_OPTIONS, f"/{VERSION}{path}", cors.preflight(methods))
