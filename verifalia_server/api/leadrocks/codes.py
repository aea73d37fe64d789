"""The LeadRocks error codes 100-111, their messages verbatim and the code closest to an HTTP status."""

from __future__ import annotations

from enum import IntEnum


class ErrorCode(IntEnum):
    """The `error.code` values of the LeadRocks API."""

    INVALID_TOKEN = 100
    INVALID_JSON = 101
    INTERNAL_ERROR = 102
    NO_CREDITS = 103
    FILE_TOO_BIG = 104
    INVALID_FILE = 105
    NO_EMAIL_COLUMN = 106
    NO_ROWS = 107
    INVALID_LIST_ID = 108
    TOO_MANY_BULK_LISTS = 109
    TOO_MANY_VERIFIES = 110
    TOO_MANY_REQUESTS = 111


MESSAGES: dict[ErrorCode, str] = {
    ErrorCode.INVALID_TOKEN: "Invalid API Token, please generate new token",
    ErrorCode.INVALID_JSON: "Invalid data in JSON request",
    ErrorCode.INTERNAL_ERROR: "Internal server error, try again later",
    ErrorCode.NO_CREDITS: "You have exhausted your credits, please add additional credits to continue",
    ErrorCode.FILE_TOO_BIG: "File size cannot exceed 10 MB or 10,000 lines",
    ErrorCode.INVALID_FILE: "File contains incorrect content or has an extension that differs from .csv",
    ErrorCode.NO_EMAIL_COLUMN: (
        'File does not contain a column named "email" and request does not specify another column with '
        'email addresses "email_column=COLUMN_NAME"'
    ),
    ErrorCode.NO_ROWS: "File does not contain any rows for validation",
    ErrorCode.INVALID_LIST_ID: "Invalid param list_id",
    ErrorCode.TOO_MANY_BULK_LISTS: "You have reached the maximum number of bulk verify requests",
    ErrorCode.TOO_MANY_VERIFIES: "You have reached the maximum number of instant verify requests",
    ErrorCode.TOO_MANY_REQUESTS: "You have reached the maximum number of requests, please try again later",
}

# The code answered for an error raised without one, by HTTP status (5xx: INTERNAL_ERROR).
_CODES_BY_STATUS: dict[int, ErrorCode] = {
    401: ErrorCode.INVALID_TOKEN,
    402: ErrorCode.NO_CREDITS,
    403: ErrorCode.INVALID_TOKEN,
    413: ErrorCode.FILE_TOO_BIG,
    429: ErrorCode.TOO_MANY_REQUESTS,
}


def code_for_status(status: int) -> ErrorCode:
    """The code closest to an HTTP error status.

    401 and 403 -> 100 (refused credentials), 402 -> 103, 413 -> 104, 429 -> 111, 5xx -> 102; any other
    client error (malformed request, unknown route, method not allowed) -> 101 (invalid request data).
    """
    if status >= 500:
        return ErrorCode.INTERNAL_ERROR
    return _CODES_BY_STATUS.get(status, ErrorCode.INVALID_JSON)
