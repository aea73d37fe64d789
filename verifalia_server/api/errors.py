"""API errors and their rendering, in the style of the surface the request was made to.

- `/v1.4/...` (Verifalia v1.4): `{"status": <http status>, "message": "<detail>"}`.
- `/v1/...` (LeadRocks): `{"status": "failed", "error": {"code": <leadrocks_code>, "message": "<detail>"}}`;
  an error without a LeadRocks code answers the LeadRocks code and message closest to its HTTP status
  (`verifalia_server.api.leadrocks_codes.code_for_status`).
- everything else (Verifalia v2.x, /health): RFC 9457 problem details, `application/problem+json`,
  `{"type", "title", "status", "detail"}`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from http import HTTPStatus

import orjson
from aiohttp import web

from verifalia_server.api.leadrocks_codes import MESSAGES, code_for_status

_V1_4 = re.compile(r"^/+v1\.4(/|$)")
_LEADROCKS = re.compile(r"^/+v1(/|$)")


class ApiError(Exception):
    """An error answered to the client with an HTTP status and a human-readable detail."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        type_: str = "about:blank",
        headers: Mapping[str, str] | None = None,
        leadrocks_code: int | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type_
        self.headers = dict(headers or {})
        self.leadrocks_code = leadrocks_code


def bad_request(detail: str) -> ApiError:
    """A 400 error; the detail names the offending field."""
    return ApiError(400, "Bad Request", detail)


# Seconds a client is asked to wait before retrying while the database is unreachable.
DATABASE_RETRY_AFTER_SECONDS = 5


def database_unavailable() -> ApiError:
    """A 503 for a database that cannot answer now, with `Retry-After` (RFC 9110 §10.2.3)."""
    return ApiError(
        503,
        "Service Unavailable",
        "The database is unavailable; retry later.",
        headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
    )


def error_for_status(
    status: int, detail: str | None = None, headers: Mapping[str, str] | None = None
) -> ApiError:
    """An ApiError titled with the standard reason phrase of `status`."""
    phrase = HTTPStatus(status).phrase
    return ApiError(status, phrase, detail or phrase, headers=headers)


def _leadrocks_error(error: ApiError) -> dict[str, object]:
    """The LeadRocks `error` object: the error's own code, else the code closest to its HTTP status."""
    if error.leadrocks_code is not None:
        return {"code": error.leadrocks_code, "message": error.detail}
    code = code_for_status(error.status)
    return {"code": int(code), "message": MESSAGES[code]}


def render_error(path: str, error: ApiError) -> web.Response:
    """Render an error in the style of the API surface that `path` belongs to."""
    if _V1_4.match(path):
        body = {"status": error.status, "message": error.detail}
        content_type = "application/json"
    elif _LEADROCKS.match(path):
        body = {"status": "failed", "error": _leadrocks_error(error)}
        content_type = "application/json"
    else:
        # RFC 9457 §3.1: members of a problem details object.
        body = {"type": error.type, "title": error.title, "status": error.status, "detail": error.detail}
        content_type = "application/problem+json"
    return web.Response(
        status=error.status,
        body=orjson.dumps(body),
        content_type=content_type,
        charset="utf-8",
        headers=error.headers,
    )
