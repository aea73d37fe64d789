"""Cross-origin access for browser clients: preflight answers and CORS headers on every response."""

from __future__ import annotations

from aiohttp import hdrs, web

ALLOWED_METHODS = "GET, POST, DELETE, OPTIONS"
ALLOWED_HEADERS = "Authorization, Content-Type, Accept"
_EXPOSED_HEADERS = "Location, Content-Disposition"
_PREFLIGHT_MAX_AGE = "600"


def setup_cors(app: web.Application) -> None:
    """Add CORS headers to every response of a cross-origin request (preflight routes: `preflight`)."""
    app.on_response_prepare.append(_add_headers)


async def preflight(request: web.Request) -> web.Response:
    """Answer an `OPTIONS` request: which methods and headers a cross-origin caller may use."""
    del request
    headers = {
        hdrs.ACCESS_CONTROL_ALLOW_METHODS: ALLOWED_METHODS,
        hdrs.ACCESS_CONTROL_ALLOW_HEADERS: ALLOWED_HEADERS,
        hdrs.ACCESS_CONTROL_MAX_AGE: _PREFLIGHT_MAX_AGE,
        hdrs.ALLOW: ALLOWED_METHODS,
    }
    return web.Response(status=204, headers=headers)


async def _add_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Let any origin read responses: credentials travel in the Authorization header, never in cookies."""
    if hdrs.ORIGIN in request.headers:
        response.headers[hdrs.ACCESS_CONTROL_ALLOW_ORIGIN] = "*"
        response.headers[hdrs.ACCESS_CONTROL_EXPOSE_HEADERS] = _EXPOSED_HEADERS
