"""The access log: one line per answered request, written once the response has been sent.

Each line has the method, the route template (never the raw path, which may carry job ids and query
strings), the status, the body bytes sent, the duration, the client IP (as the limiter sees it, honouring
trusted proxies) and a request id (the client's or proxy's `X-Request-Id`, else a random one). With
`VERIFALIA_LOG_FORMAT=json` the same fields are JSON keys.
"""

from __future__ import annotations

import logging
import re
import secrets

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.web_request import BaseRequest

from verifalia_server.api.shared.metrics import route_template
from verifalia_server.api.shared.middleware import CLIENT_IP_KEY

ACCESS_LOGGER = logging.getLogger("verifalia_server.access")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def request_id(request: BaseRequest) -> str:
    """The request's `X-Request-Id` when it is a plain token of at most 128 characters, else a new one."""
    given = request.headers.get("X-Request-Id", "")
    return given if _REQUEST_ID.fullmatch(given) else secrets.token_hex(8)


class AccessLogger(AbstractAccessLogger):
    """Writes the access line of each request to the `verifalia_server.access` logger at INFO."""

    @property
    def enabled(self) -> bool:
        """Whether lines would be written at all (aiohttp skips the call otherwise)."""
        return self.logger.isEnabledFor(logging.INFO)

    def log(self, request: BaseRequest, response: web.StreamResponse, time: float) -> None:
        """Write the line of one request."""
        route = route_template(request) if isinstance(request, web.Request) else "unmatched"
        client = request.get(CLIENT_IP_KEY) or request.remote or "-"
        fields = {
            "method": request.method,
            "route": route,
            "status": response.status,
            "bytes": response.body_length,
            "duration": round(time, 6),
            "client_ip": client,
            "request_id": request_id(request),
        }
        self.logger.info(
            "%s %s %d %dB %.3fs client=%s request_id=%s",
            request.method,
            route,
            response.status,
            response.body_length,
            time,
            client,
            fields["request_id"],
            extra={"fields": fields},
        )
