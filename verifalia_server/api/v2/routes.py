"""Verifalia API v2.x: the surface the official SDKs speak, under any `/v2.Y` prefix."""

from __future__ import annotations

from aiohttp import hdrs, web

from verifalia_server.api.shared import cors
from verifalia_server.api.v2 import (
    auth_tokens,
    certificates,
    contact_methods,
    credits,
    entries,
    jobs,
    listing,
    totp,
    user_listing,
    users,
)

# Any API version 2.x: the SDKs send v2.5, v2.6 and v2.7; v1.4 has its own surface.
VERSION = r"{version:v2\.[0-9]+}"
# Users arrived with v2.7: under an earlier version their routes are unknown (404).
SINCE_V2_7 = r"{version:v2\.(?:[7-9]|[1-9][0-9]+)}"

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
    *totp.ROUTES,
    *certificates.ROUTES,
)
USER_ROUTES = (
    (hdrs.METH_GET, "/users", user_listing.list_users),
    (hdrs.METH_POST, "/users", users.create_user),
    (hdrs.METH_GET, "/users/{id}", users.get_user),
    (hdrs.METH_PATCH, "/users/{id}", users.patch_user),
    (hdrs.METH_DELETE, "/users/{id}", users.delete_user),
    *contact_methods.ROUTES,
)


def setup(app: web.Application) -> None:
    """Add the v2 routes and their CORS preflight answers."""
    for version, routes in ((VERSION, ROUTES), (SINCE_V2_7, USER_ROUTES)):
        for method, path, handler in routes:
            app.router.add_route(method, f"/{version}{path}", handler)
        for path in dict.fromkeys(path for _, path, _ in routes):
            methods = [method for method, route_path, _ in routes if route_path == path]
            app.router.add_route(hdrs.METH_OPTIONS, f"/{version}{path}", cors.preflight(methods))
