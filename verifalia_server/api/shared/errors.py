"""API errors: the error every surface raises, and the RFC 9457 problem details rendering.

Each surface renders errors in its own style (`api.shared.surfaces`): Verifalia v2.x and the node's own
routes with `render_problem` (`application/problem+json`, `{"type", "title", "status", "detail"}`), v1.4
with `api.v1.errors.render`, LeadRocks with `api.leadrocks.errors.render`.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus

import orjson
from aiohttp import web

from verifalia_server.service.errors import (
    CaptchaRefused,
    Conflict,
    DomainError,
    Forbidden,
    Gone,
    InsufficientCredits,
    InvalidInput,
    LimitReached,
    NotFound,
    OriginNotAllowed,
    PreconditionFailed,
    StillInProgress,
    Throttled,
)


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


# The HTTP status of each business failure, unless a surface answers it otherwise.
_DOMAIN_STATUSES: dict[type[DomainError], int] = {
    InvalidInput: 400,
    InsufficientCredits: 402,
    Forbidden: 403,
    LimitReached: 403,
    # Surfaces without CAPTCHA support (v1.4) cannot serve credentials that must submit with one.
    CaptchaRefused: 403,
    OriginNotAllowed: 403,
    NotFound: 404,
    StillInProgress: 406,
    Conflict: 409,
    PreconditionFailed: 412,
    Gone: 410,
    Throttled: 429,
}


def domain_error(error: DomainError) -> ApiError:
    """The ApiError answering a business failure: its HTTP status, and its message as the detail."""
    status = next((code for kind, code in _DOMAIN_STATUSES.items() if isinstance(error, kind)), 400)
    # RFC 6585 §4 and RFC 9110 §10.2.3: a 429 says in seconds when to retry.
    headers = {"Retry-After": str(error.retry_after)} if isinstance(error, Throttled) else None
    return error_for_status(status, str(error), headers)


def json_error(error: ApiError, body: object, content_type: str = "application/json") -> web.Response:
    """The response carrying an error's `body` with its HTTP status and headers."""
    return web.Response(
        status=error.status,
        body=orjson.dumps(body),
        content_type=content_type,
        charset="utf-8",
        headers=error.headers,
    )


def render_problem(error: ApiError) -> web.Response:
    """The error as RFC 9457 problem details."""
    # RFC 9457 §3.1: members of a problem details object.
    body = {"type": error.type, "title": error.title, "status": error.status, "detail": error.detail}
    return json_error(error, body, "application/problem+json")
