"""Middleware: error rendering, the per-IP concurrency limiter, body limit, and `//` path collapsing."""

from __future__ import annotations

import asyncio
import logging
import re

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.typedefs import Handler
from yarl import URL

from verifalia_server.api.errors import (
    ApiError,
    bad_request,
    database_unavailable,
    error_for_status,
    render_error,
)
from verifalia_server.api.keys import LIMITER_KEY, SETTINGS_KEY
from verifalia_server.api.limiter import client_address
from verifalia_server.api.text import UNSTORABLE_TEXT
from verifalia_server.store.database import UNAVAILABLE_ERRORS, UNSTORABLE_TEXT_ERRORS
from verifalia_server.web import is_client_path

_log = logging.getLogger(__name__)
_LEADING_SLASHES = re.compile(r"^/{2,}")
CLIENT_IP_KEY = web.RequestKey("client_ip", str)
UNLIMITED_PATHS = frozenset({"/health"})


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Render ApiError, aiohttp HTTP errors and unexpected exceptions (never with a traceback)."""
    try:
        return await handler(request)
    except ApiError as error:
        return render_error(request.path, error)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        headers = {name: value for name, value in error.headers.items() if name in ("Allow", "Retry-After")}
        return render_error(request.path, error_for_status(error.status, error.reason, headers))
    except (asyncio.CancelledError, ConnectionResetError):
        raise
    except HttpProcessingError as error:
        # A request body aiohttp could not parse (chunked encoding, multipart headers): the client's fault.
        return render_error(request.path, bad_request(f"The request body is malformed: {error.message}."))
    except UNSTORABLE_TEXT_ERRORS:
        return render_error(request.path, bad_request(UNSTORABLE_TEXT))
    except UNAVAILABLE_ERRORS as error:
        _log.warning("database unavailable serving %s %s: %r", request.method, request.path, error)
        return render_error(request.path, database_unavailable())
    except Exception:
        _log.exception("unhandled error serving %s %s", request.method, request.path)
        return render_error(request.path, error_for_status(500, "The server failed to fulfil the request."))


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
    match_info = await request.app.router.resolve(collapsed)
    match_info.add_app(request.app)
    # The same re-resolution aiohttp's own normalize_path_middleware performs, minus its redirect.
    collapsed._match_info = match_info
    if match_info.http_exception is not None:
        raise match_info.http_exception
    return await match_info.handler(collapsed)
