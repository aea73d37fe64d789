"""The web client's routes: its page at `/app/`, its sources and libraries below it."""

from __future__ import annotations

import logging
from pathlib import Path

from aiohttp import web

from verifalia_server.api.shared.errors import error_for_status
from verifalia_server.web.assets import missing_vendor_files, static_file, vendor_file

_log = logging.getLogger(__name__)
CLIENT_PREFIX = "/app/"
_INDEX = "index.html"
# The page loads only its own files and talks only to its own origin; nothing may frame it.
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # Revalidated on every load (ETag / Last-Modified), so an upgraded node serves its new client at once.
    "Cache-Control": "no-cache",
}


def is_client_path(path: str) -> bool:
    """Whether `path` is one of the web client's static files (cheap to serve, no database)."""
    return path == CLIENT_PREFIX.rstrip("/") or path.startswith(CLIENT_PREFIX)


def setup(app: web.Application) -> None:
    """Add the web client's routes; log once if its npm libraries are not installed."""
    missing = missing_vendor_files()
    if missing:
        _log.warning("web client libraries missing (run npm ci in verifalia_server/web): %s", missing)
    app.router.add_get(CLIENT_PREFIX.rstrip("/"), _index)
    app.router.add_get(CLIENT_PREFIX, _index)
    app.router.add_get(CLIENT_PREFIX + "vendor/{name}", _vendor)
    app.router.add_get(CLIENT_PREFIX + "{path:.+}", _static)


async def _index(request: web.Request) -> web.StreamResponse:
    """The client's single page."""
    return _file(static_file(_INDEX), request.path)


async def _static(request: web.Request) -> web.StreamResponse:
    """One of the client's own sources."""
    return _file(static_file(request.match_info["path"]), request.path)


async def _vendor(request: web.Request) -> web.StreamResponse:
    """The browser build of one npm library."""
    return _file(vendor_file(request.match_info["name"]), request.path)


def _file(path: Path | None, requested: str) -> web.FileResponse:
    if path is None:
        raise error_for_status(404, f"The web client has no file {requested}.")
    return web.FileResponse(path, headers=_SECURITY_HEADERS)
