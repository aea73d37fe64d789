"""Middleware: error answers per surface, the per-IP concurrency limiter and body limit, `//` collapsing."""

from __future__ import annotations

import functools
import logging
import re

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.typedefs import Handler, Middleware
from yarl import URL

from verifalia_server.api.shared.errors import ApiError, bad_request, database_unavailable, error_for_status
from verifalia_server.api.shared.keys import LIMITER_KEY, SETTINGS_KEY
from verifalia_server.api.shared.limiter import client_address
from verifalia_server.api.shared.surfaces import Surface, surface_of
from verifalia_server.service.errors import DomainError
from verifalia_server.service.text import UNSTORABLE_TEXT
from verifalia_server.store.database import UNAVAILABLE_ERRORS, UNSTORABLE_TEXT_ERRORS
from verifalia_server.web import is_client_path

_log = logging.getLogger(__name__)
_LEADING_SLASHES = re.compile(r"^/{2,}")
CLIENT_IP_KEY = web.RequestKey("client_ip", str)
UNLIMITED_PATHS = frozenset({"/health"})


def _api_error(request: web.Request, error: Exception, surface: Surface) -> ApiError | None:
    """The ApiError answering an exception in the surface's style; None to let it through."""
    if isinstance(error, ApiError):
        return error
    if isinstance(error, DomainError):
        return surface.domain(error)
    if isinstance(error, web.HTTPException):
        if error.status < 400:
            return None
        headers = {name: value for name, value in error.headers.items() if name in ("Allow", "Retry-After")}
        return error_for_status(error.status, error.reason, headers)
    if isinstance(error, ConnectionResetError):
        return None
    if isinstance(error, HttpProcessingError):
        # A request body aiohttp could not parse (chunked encoding, multipart headers): the client's fault.
        return bad_request(f"The request body is malformed: {error.message}.")
    if isinstance(error, UNSTORABLE_TEXT_ERRORS):
        return bad_request(UNSTORABLE_TEXT)
    if isinstance(error, UNAVAILABLE_ERRORS):
        _log.warning("database unavailable serving %s %s: %r", request.method, request.path, error)
        return database_unavailable()
    _log.error("unhandled error serving %s %s", request.method, request.path, exc_info=error)
    return error_for_status(500, "The server failed to fulfil the request.")


def error_middleware_for(surface: Surface | None) -> Middleware:
    """The middleware that answers errors in the style of `surface` (None: of the request's surface).

    It answers ApiError, business failures, aiohttp HTTP errors and unexpected exceptions (never with a
    traceback).
    """

    @web.middleware
    async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except Exception as error:
            answer = _api_error(request, error, surface or surface_of(request))
            if answer is None:
                raise
            return (surface or surface_of(request)).render(answer)

    return errors


# The node's error middleware: errors of the node's own middleware and routes, in the request's surface style.
error_middleware = error_middleware_for(None)


@web.middleware
async def limiter_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Admit at most N concurrent requests per client IP; answer the next one 429 at once."""
    settings = request.app[SETTINGS_KEY]
    client = client_address(request.remote, request.headers.get("X-Forwarded-For"), settings.trusted_proxies)
    request[CLIENT_IP_KEY] = client
    if request.method == "OPTIONS" or request.path in UNLIMITED_PATHS or is_client_path(request.path):
        return await handler(request)
    length = request.content_length
    if length is not None and length > settings.max_body_bytes:
        raise error_for_status(413, f"The request body exceeds the limit of {settings.max_body_bytes} bytes.")
    limiter = request.app[LIMITER_KEY]
    if not limiter.try_acquire(client):
        raise error_for_status(
            429, f"No more than {limiter.limit} concurrent requests per IP address.", {"Retry-After": "1"}
        )
    try:
        return await handler(request)
    finally:
        limiter.release(client)


@web.middleware
async def collapse_slashes_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Route `//v2.6/...` as `/v2.6/...` (some SDKs build such paths); never redirect."""
    if not request.path.startswith("//"):
        return await handler(request)
    collapsed = request.clone(rel_url=URL(_LEADING_SLASHES.sub("/", request.raw_path), encoded=True))
    root = request.match_info.apps[0]
    match_info = await root.router.resolve(collapsed)
    match_info.add_app(root)
    # The same re-resolution aiohttp's own normalize_path_middleware performs, minus its redirect.
    collapsed._match_info = match_info
    if match_info.http_exception is not None:
        raise match_info.http_exception
    # The sub-application's own middleware (its error answers) wraps its handler, as aiohttp would.
    routed: Handler = match_info.handler
    for app in match_info.apps[::-1]:
        if app is not root:
            for middleware in app.middlewares:
                routed = functools.partial(middleware, handler=routed)
    return await routed(collapsed)
