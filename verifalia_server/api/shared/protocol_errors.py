"""Requests aiohttp refuses before any handler runs (over-long request line or header, malformed HTTP),
answered in the error format of the surface the request was made to instead of aiohttp's plain text.

aiohttp answers such requests from its protocol handler, below the middleware; `Application` builds that
handler in `_make_handler`, so the node's application overrides it to build one that renders errors in the
style of the surface the path belongs to (`surfaces.surface_for_path`). The request's path is not parsed yet
at that point: the start of the last chunk that began a request line names the surface.
"""

from __future__ import annotations

import logging
import re
import warnings
from http import HTTPStatus
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import LineTooLong
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest
from aiohttp.web_server import Server

from verifalia_server.api.shared.errors import ApiError, error_for_status
from verifalia_server.api.shared.surfaces import surface_for_path

_log = logging.getLogger(__name__)
# RFC 9112 §3: request-line = method SP request-target SP HTTP-version; only the path's start is kept.
_REQUEST_LINE = re.compile(rb"[A-Z]{3,10} (/[^ ?\r\n]{0,64})")


class _JsonErrorRequestHandler(RequestHandler):
    """aiohttp's protocol handler, rendering its own error answers in the API's formats."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._path_hint = "/"

    def data_received(self, data: bytes) -> None:
        """Remember the path of the request line this chunk starts with, then parse it as aiohttp does."""
        if (match := _REQUEST_LINE.match(data)) is not None:
            self._path_hint = match.group(1).decode("latin-1")
        super().data_received(data)

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        """Answer a request aiohttp could not parse (or failed on) in the surface's error format."""
        if request.writer.output_size > 0:
            raise ConnectionError("a response is already under way; no error can be sent")
        if status >= 500:
            _log.error("error handling a request from %s", request.remote, exc_info=exc)
            error = error_for_status(status, "The server failed to fulfil the request.")
        else:
            _log.debug("refused a malformed request from %s: %s", request.remote, message)
            error = _client_error(status, exc, message)
        response = surface_for_path(self._path_hint).render(error)
        response.force_close()
        return response


def _client_error(status: int, exc: BaseException | None, message: str | None) -> ApiError:
    if isinstance(exc, LineTooLong):
        line = bytes(exc.args[0]) if exc.args and isinstance(exc.args[0], bytes | bytearray) else b""
        if line.startswith(b"/"):
            # RFC 9110 §15.5.15: 414 URI Too Long, for a request-target over the line limit.
            return error_for_status(414, "The request line is too long.")
        # RFC 6585 §5: 431 Request Header Fields Too Large.
        return error_for_status(431, "A request header field is too long.")
    detail = f"The request is not valid HTTP: {message or HTTPStatus(status).phrase}."
    return error_for_status(status, detail)


class _JsonErrorServer(Server):
    """aiohttp's low-level server, making `_JsonErrorRequestHandler`s."""

    def __call__(self) -> RequestHandler:
        return _JsonErrorRequestHandler(self, loop=self._loop, **self._kwargs)


with warnings.catch_warnings():
    # aiohttp discourages subclassing Application; overriding `_make_handler` is the one hook there is.
    warnings.simplefilter("ignore", DeprecationWarning)

    class Application(web.Application):
        """`web.Application` whose protocol-level error answers follow the API's error formats."""

        def _make_handler(self, **kwargs: Any) -> Server:
            server = super()._make_handler(**kwargs)
            return _JsonErrorServer(
                server.request_handler,
                request_factory=server.request_factory,
                handler_cancellation=server.handler_cancellation,
                loop=server._loop,
                **server._kwargs,
            )
