"""Cross-origin access for browser clients: preflight answers and CORS headers on every response."""

from __future__ import annotations

from collections.abc import Iterable

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler

from verifalia_server.api.shared.auth import BROWSER_APP_KEY
from verifalia_server.service.browser_apps import trusts_origin

ALLOWED_HEADERS = "Authorization, Content-Type, Accept, If-Match"
_EXPOSED_HEADERS = "Location, Content-Disposition, ETag, Retry-After"
_PREFLIGHT_MAX_AGE = "600"


def setup_cors(app: web.Application) -> None:
    """Add CORS headers to every response of a cross-origin request (preflight routes: `preflight`)."""
    app.on_response_prepare.append(_add_headers)


def preflight(methods: Iterable[str]) -> Handler:
    """The `OPTIONS` handler of a route serving `methods`: what a cross-origin caller may use there."""
    allowed = ", ".join([*dict.fromkeys(methods), hdrs.METH_OPTIONS])
    headers = {
        hdrs.ACCESS_CONTROL_ALLOW_METHODS: allowed,
        hdrs.ACCESS_CONTROL_ALLOW_HEADERS: ALLOWED_HEADERS,
        hdrs.ACCESS_CONTROL_MAX_AGE: _PREFLIGHT_MAX_AGE,
        # RFC 9110 §10.2.1: Allow lists the methods the target resource supports.
        hdrs.ALLOW: allowed,
    }

    async def answer(request: web.Request) -> web.Response:
        del request
        return web.Response(status=204, headers=headers)

    return answer


async def _add_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Let any origin read responses: credentials travel in the Authorization header, never in cookies.

    A browser app with trusted origins lets only those read its responses (a preflight carries no
    credentials, so it is answered for every origin, and the actual request is refused from any other).
    """
    origin = request.headers.get(hdrs.ORIGIN)
    if origin is None:
        return
    app = request.get(BROWSER_APP_KEY)
    if app is not None and app.profile.origins_enabled:
        # RFC 9110 §12.5.5: the answer depends on the Origin header.
        response.headers.add(hdrs.VARY, hdrs.ORIGIN)
        if not trusts_origin(app.profile, origin):
            return
        response.headers[hdrs.ACCESS_CONTROL_ALLOW_ORIGIN] = origin
    else:
        response.headers[hdrs.ACCESS_CONTROL_ALLOW_ORIGIN] = "*"
    response.headers[hdrs.ACCESS_CONTROL_EXPOSE_HEADERS] = _EXPOSED_HEADERS
