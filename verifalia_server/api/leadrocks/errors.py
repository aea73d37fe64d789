"""How the LeadRocks API answers errors: `{"status": "failed", "error": {"code", "message"}}`.

The HTTP status each LeadRocks error code is answered with, the error that carries a code, the code of each
business failure, and the rendering: an error without a LeadRocks code answers the code and message closest
to its HTTP status (`codes.code_for_status`).
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus

from aiohttp import web

from verifalia_server.api.leadrocks.codes import MESSAGES, ErrorCode, code_for_status
from verifalia_server.api.shared.errors import ApiError, domain_error, json_error
from verifalia_server.service.errors import DomainError, InsufficientCredits, InvalidInput, LimitReached

# 403 for a spent quota (credits, concurrent lists), 503 for a per-minute limit that frees up by itself.
HTTP_STATUSES: dict[ErrorCode, int] = {
    ErrorCode.INVALID_TOKEN: 401,
    ErrorCode.INVALID_JSON: 400,
    ErrorCode.INTERNAL_ERROR: 500,
    ErrorCode.NO_CREDITS: 403,
    ErrorCode.FILE_TOO_BIG: 400,
    ErrorCode.INVALID_FILE: 400,
    ErrorCode.NO_EMAIL_COLUMN: 400,
    ErrorCode.NO_ROWS: 400,
    ErrorCode.INVALID_LIST_ID: 404,
    ErrorCode.TOO_MANY_BULK_LISTS: 403,
    ErrorCode.TOO_MANY_VERIFIES: 503,
    ErrorCode.TOO_MANY_REQUESTS: 503,
}


class LeadRocksError(ApiError):
    """An error answered with the LeadRocks error object: its code, its message and its HTTP status."""

    def __init__(
        self, code: ErrorCode, *, http_status: int | None = None, headers: Mapping[str, str] | None = None
    ) -> None:
        status = http_status or HTTP_STATUSES[code]
        super().__init__(
            status, HTTPStatus(status).phrase, MESSAGES[code], headers=headers, leadrocks_code=int(code)
        )
        self.code = code


# The LeadRocks code of each business failure; input the store cannot take is a row of the uploaded file.
# Others (a missing permission: `Forbidden`) keep their HTTP status and take the code closest to it.
_DOMAIN_CODES: dict[type[DomainError], ErrorCode] = {
    InsufficientCredits: ErrorCode.NO_CREDITS,
    InvalidInput: ErrorCode.INVALID_FILE,
    LimitReached: ErrorCode.TOO_MANY_BULK_LISTS,
}


def leadrocks_domain_error(error: DomainError) -> ApiError:
    """A business failure as its LeadRocks error (others as any surface answers them)."""
    code = next((code for kind, code in _DOMAIN_CODES.items() if isinstance(error, kind)), None)
    return domain_error(error) if code is None else LeadRocksError(code)


def render(error: ApiError) -> web.Response:
    """The error as the LeadRocks error object."""
    if error.leadrocks_code is not None:
        body = {"code": error.leadrocks_code, "message": error.detail}
    else:
        code = code_for_status(error.status)
        body = {"code": int(code), "message": MESSAGES[code]}
    return json_error(error, {"status": "failed", "error": body})
