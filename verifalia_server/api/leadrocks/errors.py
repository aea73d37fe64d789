"""The HTTP status each LeadRocks error code is answered with, and the error that carries a code."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus

from verifalia_server.api.errors import ApiError
from verifalia_server.api.leadrocks_codes import MESSAGES, ErrorCode

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
