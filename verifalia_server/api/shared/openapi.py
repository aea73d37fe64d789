"""The OpenAPI 3.1 description of the Verifalia v1.4 and v2.x surfaces, served at `/openapi.json`."""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

import orjson
from aiohttp import web

from verifalia_server.api.shared.models import MAX_CAPTCHA_TOKEN_LENGTH, MAX_CUSTOM_LENGTH, MAX_NAME_LENGTH
from verifalia_server.api.shared.openapi_parts import JSON, path_parameter, problem, query, ref
from verifalia_server.api.v2 import contact_method_openapi, user_openapi
from verifalia_server.api.v2.errors import CAPTCHA_VALIDATION_FAILED
from verifalia_server.engine.statuses import Status
from verifalia_server.service.captcha import PROVIDER_NAMES
from verifalia_server.settings import ServiceSettings
from verifalia_server.store.jobs import JobStatus

DEFAULT_MAX_ENTRY_LENGTH = ServiceSettings().max_entry_length
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def _v1_error(description: str) -> dict[str, Any]:
    return _json(ref("V1Error"), description)


_VERSION = path_parameter(
    "version", "API version, any v2.x (the SDKs send v2.5, v2.6, v2.7).", r"^v2\.[0-9]+$"
)
_JOB_ID = path_parameter("id", "Job id (a UUID).")
_WAIT = query(
    "waitTime",
    "Milliseconds (decimals accepted, clamped to 0-30000) to hold the request until the job completes;"
    " seconds for the Go SDK (User-Agent verifalia-rest-client/go/...).",
    {"type": "number"},
)
_INCLUDE = query(
    "include",
    "`evidence` adds each entry's `evidence` object (and evidence columns to exports);"
    " without it the entries are exactly as the official SDKs expect.",
    {"type": "string", "enum": ["evidence", ""]},
)
# An empty cursor means the parameter is absent.
_CURSOR = {"type": "string"}
# A UTC day; an empty value means the parameter is absent.
_DAY = {"type": "string", "anyOf": [{"format": "date"}, {"maxLength": 0}]}
_PAGING = [
    query("cursor", "Continue after the page this cursor came from.", _CURSOR),
    query("cursor:prev", "Continue before the page this cursor came from.", _CURSOR),
    query(
        "limit",
        "Page size (clamped to the server maximum); empty means absent.",
        {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "string", "maxLength": 0}]},
    ),
]
_V2_ERRORS = {
    "400": problem("Invalid request."),
    "401": problem("Missing, invalid or expired credentials, or an inactive user."),
    "403": problem("The credentials lack the permission."),
    "404": problem("No such route: the version is not v2.x."),
    "429": problem("Too many concurrent requests from this IP address."),
    "503": problem("The database is unavailable; retry after `Retry-After` seconds."),
}
_V1_ERRORS = {
    "400": _v1_error("Invalid request."),
    "401": _v1_error("Missing or invalid credentials."),
    "403": _v1_error("The credentials lack the permission."),
    "429": _v1_error("Too many concurrent requests from this IP address."),
    "503": _v1_error("The database is unavailable; retry after `Retry-After` seconds."),
}
_PREFLIGHT = {
    "summary": "CORS preflight",
    "security": [],
    "responses": {
        "204": {"description": "The methods and headers a cross-origin caller may use."},
        "404": problem("No such route: the version is not v2.x."),
    },
}


def _job_responses(with_entries: bool) -> dict[str, Any]:
    body = ref("Job") if with_entries else ref("Overview")
    return {
        "200": _json(body, "The job is Completed."),
        "202": _json(body, "The job is still in progress."),
        **_V2_ERRORS,
        "404": problem("No such job (or no such route: the version is not v2.x)."),
        "410": problem("The job was deleted or has expired."),
    }


def _v2_paths() -> dict[str, Any]:
    job = {"parameters": [_VERSION, _JOB_ID]}
    return {
        "/{version}/email-validations": {
            "parameters": [_VERSION],
            "post": {
                "summary": "Submit a job (JSON entries or a multipart file upload)",
                "parameters": [_WAIT],
                "requestBody": {
                    "required": True,
                    "content": {
                        JSON: {"schema": ref("ValidationRequest")},
                        "multipart/form-data": {"schema": ref("FileValidationRequest")},
                    },
                },
                "responses": {
                    **_job_responses(with_entries=True),
                    "401": problem(
                        "Missing, invalid or expired credentials, or a disabled sub-account; or a `captcha`"
                        f" that failed verification, with `type` `{CAPTCHA_VALIDATION_FAILED}` (a refused"
                        " token, an unknown or unconfigured provider, a reCAPTCHA v3 score too low)."
                    ),
                    "402": problem("Not enough credits."),
                    "413": problem("The request body is too large."),
                    "415": problem("Unsupported file type (legacy .xls included)."),
                    "503": problem(
                        "The database is unavailable, or the CAPTCHA provider gave no verdict (nothing was"
                        " stored); retry after `Retry-After` seconds."
                    ),
                },
            },
            "get": {
                "summary": "List jobs",
                "parameters": [
                    query(
                        "createdOn",
                        "Jobs created on this UTC day (YYYY-MM-DD).",
                        _DAY,
                    ),
                    query(
                        "createdOn:since",
                        "Created on or after this UTC day.",
                        _DAY,
                    ),
                    query(
                        "createdOn:until",
                        "Created on or before this UTC day.",
                        _DAY,
                    ),
                    query("status", "Comma-separated job statuses to include.", _JOB_STATUS_LIST),
                    query("status:exclude", "Comma-separated job statuses to exclude.", _JOB_STATUS_LIST),
                    query("owner", "Only jobs submitted by this user (SID).", _TEXT),
                    query(
                        "sort", "createdOn (default) or -createdOn.", {"enum": ["createdOn", "-createdOn"]}
                    ),
                    *_PAGING,
                ],
                "responses": {"200": _json(ref("OverviewPage"), "A page of job overviews."), **_V2_ERRORS},
            },
            "options": _PREFLIGHT,
        },
        "/{version}/email-validations/{id}": {
            **job,
            "get": {
                "summary": "Get a job and its first entries page",
                "parameters": [_WAIT, _INCLUDE],
                "responses": _job_responses(True),
            },
            "delete": {
                "summary": "Delete a job",
                "responses": {
                    "200": _json({"type": "object"}, "Deleted."),
                    **_V2_ERRORS,
                    "404": problem("No such job (or no such route: the version is not v2.x)."),
                    "410": problem("Already deleted or expired."),
                },
            },
            "options": _PREFLIGHT,
        },
        "/{version}/email-validations/{id}/overview": {
            **job,
            "get": {
                "summary": "Get a job's overview",
                "parameters": [_WAIT],
                "responses": _job_responses(False),
            },
            "options": _PREFLIGHT,
        },
        "/{version}/email-validations/{id}/entries": {
            **job,
            "get": {
                "summary": "Page through a job's entries (JSON) or export them (Accept: text/csv or .xlsx)",
                "parameters": [
                    *_PAGING,
                    query(
                        "status",
                        "Comma-separated entry statuses to include (synonym: status:include).",
                        _ENTRY_STATUS_LIST,
                    ),
                    query("status:include", "Comma-separated entry statuses to include.", _ENTRY_STATUS_LIST),
                    query("status:exclude", "Comma-separated entry statuses to exclude.", _ENTRY_STATUS_LIST),
                    _INCLUDE,
                ],
                "responses": {
                    "200": {
                        "description": "A page of entries, or the export file.",
                        "content": {
                            JSON: {"schema": ref("EntryPage")},
                            "text/csv": {"schema": {"type": "string"}},
                            _XLSX: {"schema": {"type": "string", "contentEncoding": "binary"}},
                        },
                    },
                    **_V2_ERRORS,
                    "404": problem("No such job (or no such route: the version is not v2.x)."),
                    "406": problem("Legacy .xls exports are not supported."),
                    "410": problem("The job was deleted or has expired."),
                },
            },
            "options": _PREFLIGHT,
        },
        "/{version}/credits/balance": {
            "parameters": [_VERSION],
            "get": {
                "summary": "Credit balance",
                "responses": {"200": _json(ref("Balance"), "The balance."), **_V2_ERRORS},
            },
            "options": _PREFLIGHT,
        },
        "/{version}/credits/daily-usage": {
            "parameters": [_VERSION],
            "get": {
                "summary": "Credits consumed per day",
                "parameters": [
                    query("date", "This UTC day (YYYY-MM-DD).", _DAY),
                    query("date:since", "On or after this UTC day.", _DAY),
                    query("date:until", "On or before this UTC day.", _DAY),
                    *_PAGING,
                ],
                "responses": {"200": _json(ref("DailyUsagePage"), "A page of days."), **_V2_ERRORS},
            },
            "options": _PREFLIGHT,
        },
        "/{version}/auth/tokens": {
            "parameters": [_VERSION],
            "post": {
                "summary": "Issue a bearer token (JWT) for a SID and auth token",
                "security": [],
                "requestBody": {
                    "required": True,
                    "content": {
                        JSON: {
                            "schema": {
                                "type": "object",
                                "required": ["username", "password"],
                                "properties": {"username": _TEXT, "password": {"type": "string"}},
                            }
                        }
                    },
                },
                "responses": {
                    "200": _json(
                        {"type": "object", "properties": {"accessToken": {"type": "string"}}},
                        "A signed token; for a user with TOTP, its claim `verifalia:mfa` asks for a code.",
                    ),
                    "400": problem("Malformed body."),
                    "401": problem("Invalid credentials or inactive user."),
                    "404": problem("No such route: the version is not v2.x."),
                    "429": problem("Too many concurrent requests from this IP address."),
                    "503": problem("The database is unavailable; retry after `Retry-After` seconds."),
                },
            },
            "options": _PREFLIGHT,
        },
        **_totp_paths(),
        **_certificate_paths(),
        **user_openapi.paths(),
        **contact_method_openapi.paths(),
    }


def _totp_paths() -> dict[str, Any]:
    """The TOTP second factor: the login's second step and a user's enrolment."""
    pass_code = {
        "required": True,
        "content": {
            JSON: {
                "schema": {
                    "type": "object",
                    "required": ["passCode"],
                    "properties": {"passCode": {"type": "string", "pattern": "^[0-9]{6}$"}},
                }
            }
        },
    }
    user = path_parameter("id", "User id.")
    errors = {**_V2_ERRORS, "404": problem("No such user in this account, or the version is not v2.x.")}
    conflict = problem("A browser app, TOTP already required, or the secret changed meanwhile.")
    return {
        "/{version}/auth/totp/verifications": {
            "parameters": [_VERSION],
            "post": {
                "summary": "Complete a first-factor bearer token with a TOTP code",
                "security": [{"bearer": []}],
                "requestBody": pass_code,
                "responses": {
                    "200": _json(
                        {"type": "object", "properties": {"accessToken": {"type": "string"}}},
                        "A token good for every route.",
                    ),
                    **_V2_ERRORS,
                    "401": problem("Not a valid first-factor token, or the user has no TOTP secret."),
                    "403": problem(
                        "A wrong, expired or already used code. 403 rather than 401 so that the official SDKs"
                        " ask their TOTP provider for another code (the JS SDK tries 3 in all); a 401 ends"
                        " their login at once."
                    ),
                    "429": problem("Too many codes tried for the user lately; retry after `Retry-After`."),
                },
            },
            "options": _PREFLIGHT,
        },
        "/{version}/users/{id}/totp": {
            "parameters": [_VERSION, user],
            "post": {
                "summary": "Give the user a new TOTP secret, pending until confirmed",
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "secret": {"type": "string"},
                                "provisioningUri": {"type": "string", "format": "uri"},
                            },
                        },
                        "The base32 secret and its otpauth:// key URI.",
                    ),
                    **errors,
                    "409": conflict,
                },
            },
            "delete": {
                "summary": "Remove the user's TOTP second factor (revokes its bearer tokens)",
                "responses": {"204": {"description": "Removed."}, **errors},
            },
            "options": _PREFLIGHT,
        },
        "/{version}/users/{id}/totp/confirmation": {
            "parameters": [_VERSION, user],
            "post": {
                "summary": "Confirm the pending secret with a code; TOTP is then required (revokes tokens)",
                "requestBody": pass_code,
                "responses": {
                    "204": {"description": "Confirmed: password logins need a code from now on."},
                    **errors,
                    "401": problem("Missing or invalid credentials, or no pending secret to confirm."),
                    "403": problem("The credentials lack the permission, or a wrong, expired or used code."),
                    "409": conflict,
                    "429": problem("Too many codes tried for the user lately; retry after `Retry-After`."),
                },
            },
            "options": _PREFLIGHT,
        },
    }


def _certificate_paths() -> dict[str, Any]:
    """A user's client certificates, for login over mutual TLS."""
    user = path_parameter("userId", "User id.")
    certificate = {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "subject": {"type": "string"},
            "issuer": {"type": "string"},
            "serialNumber": {"type": "string"},
            "thumbprint": {"type": "string", "description": "SHA-256 of the DER encoding, upper-case hex."},
            "publicKey": {"type": "string", "description": "DER SubjectPublicKeyInfo, base64."},
            "notBefore": {"type": "string", "format": "date-time"},
            "notAfter": {"type": "string", "format": "date-time"},
            "createdOn": {"type": "string", "format": "date-time"},
        },
    }
    errors = {**_V2_ERRORS, "404": problem("No such user in this account, or the version is not v2.x.")}
    upload = {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["certificate"],
                    "properties": {"certificate": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
    return {
        "/{version}/users/{userId}/certificates": {
            "parameters": [_VERSION, user],
            "get": {
                "summary": "List the user's client certificates",
                "parameters": _PAGING,
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "meta": ref("Meta"),
                                "data": {"type": "array", "items": certificate},
                            },
                        },
                        "A page of certificates, oldest first.",
                    ),
                    **errors,
                },
            },
            "post": {
                "summary": "Register a client certificate (PEM or DER) for the user",
                "requestBody": upload,
                "responses": {
                    "200": _json(certificate, "The registered certificate."),
                    **errors,
                    "409": problem("The certificate is already registered."),
                    "413": problem("The upload is too large for a certificate."),
                    "415": problem("The body is not multipart/form-data."),
                },
            },
            "options": _PREFLIGHT,
        },
        "/{version}/users/{userId}/certificates/{certificateId}": {
            "parameters": [_VERSION, user, path_parameter("certificateId", "Certificate id.")],
            "delete": {
                "summary": "Unregister a client certificate: it logs nobody in any more",
                "responses": {
                    "200": _json({"type": "object"}, "Unregistered."),
                    **errors,
                    "404": problem("No such user or certificate, or the version is not v2.x."),
                },
            },
            "options": _PREFLIGHT,
        },
    }


def _v1_paths() -> dict[str, Any]:
    unique_id = path_parameter("unique_id", "Job id (a UUID).")
    snapshot = ref("V1Snapshot")
    job_responses = {
        "200": _json(snapshot, "The job is completed."),
        "202": _json(snapshot, "The job is in progress."),
        "404": _v1_error("No such job."),
        "410": _v1_error("The job was deleted or has expired."),
        **_V1_ERRORS,
    }
    return {
        "/v1.4/email-validations": {
            "post": {
                "summary": "Submit a job (v1.4)",
                "requestBody": {
                    "required": True,
                    "content": {JSON: {"schema": ref("V1ValidationRequest")}},
                },
                "responses": {**job_responses, "402": _v1_error("Not enough credits.")},
            }
        },
        "/v1.4/email-validations/{unique_id}": {
            "parameters": [unique_id],
            "get": {"summary": "Get a job snapshot (v1.4)", "responses": job_responses},
            "delete": {
                "summary": "Delete a job (v1.4)",
                "responses": {
                    "200": {"description": "Deleted."},
                    "404": _v1_error("No such job."),
                    "406": _v1_error("The job is still in progress."),
                    "410": _v1_error("Already deleted or expired."),
                    **_V1_ERRORS,
                },
            },
        },
        "/v1.4/account-balance": {
            "get": {
                "summary": "Account balance (v1.4)",
                "responses": {"200": _json(ref("V1Balance"), "The balance."), **_V1_ERRORS},
            }
        },
    }


def _service_paths() -> dict[str, Any]:
    return {
        "/health": {
            "get": {
                "summary": "Node health",
                "security": [],
                "responses": {
                    "200": {"description": "The node is up and its database answers."},
                    "503": {"description": "The database does not answer within 2 s (`Retry-After`)."},
                },
            }
        },
        "/openapi.json": {
            "get": {
                "summary": "This document",
                "security": [],
                "responses": {"200": {"description": "The OpenAPI description.", "content": {JSON: {}}}},
            }
        },
    }


_TIMESPAN = {"type": "string", "pattern": r"^(\d+\.)?\d{2}:\d{2}:\d{2}$"}
# Text PostgreSQL can store: no NUL (see `service.text`).
_TEXT = {"type": "string", "pattern": "^[^\\u0000]*$"}
_H, _M, _S = "(0?[0-9]|1[0-9]|2[0-3])", "[0-5]?[0-9]", "[0-5]?[0-9]"
# A retention between 0:05:00 and 30.00:00:00: 1-29 days and any time, or no day and at least 5 minutes.
_RETENTION = (
    f"^((0?[1-9]|[12][0-9])\\.{_H}:{_M}:{_S}"
    f"|(0\\.)?(0?[1-9]|1[0-9]|2[0-3]):{_M}:{_S}"
    f"|(0\\.)?0?0:(0?[5-9]|[1-5][0-9]):{_S}"
    f"|30\\.0?0:0?0:0?0)(\\.[0-9]+)?$"
)


def _name_list(names: list[str]) -> dict[str, Any]:
    """A comma-separated list of `names`; empty means absent."""
    one = "(" + "|".join(names) + ")"
    return {"type": "string", "pattern": f"^({one}(,{one})*)?$"}


_JOB_STATUS_LIST = _name_list([status.value for status in JobStatus])
_ENTRY_STATUS_LIST = _name_list([status.value for status in Status])
_DATE_TIME = {"type": "string", "format": "date-time"}
_STRING_OR_NULL = {"type": ["string", "null"]}


def _alike(schema: dict[str, Any], *names: str) -> dict[str, Any]:
    """Properties that share one schema."""
    return dict.fromkeys(names, schema)


def _schemas() -> dict[str, Any]:
    entry_input = {
        "type": "object",
        "required": ["inputData"],
        "properties": {
            "inputData": {**_TEXT, "maxLength": DEFAULT_MAX_ENTRY_LENGTH},
            "custom": {**_TEXT, "type": ["string", "null"], "maxLength": MAX_CUSTOM_LENGTH},
        },
    }
    settings = {
        "quality": {"enum": ["Standard", "High", "Extreme", None]},
        "deduplication": {"enum": ["Off", "Safe", "Relaxed", None]},
        "priority": {"type": ["integer", "null"], "minimum": 0, "maximum": 255},
        "name": {**_TEXT, "type": ["string", "null"], "maxLength": MAX_NAME_LENGTH},
        "retention": {
            "type": ["string", "null"],
            "pattern": _RETENTION,
            "description": "[d.]h:m:s, from 0:5:0 to 30.0:0:0",
        },
        "callback": {
            "type": ["object", "null"],
            "required": ["url"],
            "properties": {
                "url": {"type": "string", "format": "uri", "pattern": "^https?://[!-~]+$"},
                "version": {"enum": ["1.0", "1.1"]},
                "skipServerCertificateValidation": {"type": "boolean"},
            },
        },
        "captcha": {
            "type": ["object", "null"],
            "description": "A solved CAPTCHA, verified with its provider before the job is stored.",
            "required": ["provider", "token"],
            "properties": {
                "provider": {
                    "enum": list(PROVIDER_NAMES),
                    "description": "Matched ignoring case; another provider answers 401.",
                },
                "token": {"type": "string", "maxLength": MAX_CAPTCHA_TOKEN_LENGTH},
            },
        },
    }
    return {
        "Problem": {
            "type": "object",
            "properties": {
                "type": {"type": "string"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
            },
        },
        "ValidationRequest": {
            "type": "object",
            "required": ["entries"],
            "properties": {"entries": {"type": "array", "minItems": 1, "items": entry_input}, **settings},
        },
        "FileValidationRequest": {
            "type": "object",
            "required": ["inputFile"],
            "properties": {
                "inputFile": {
                    "type": "string",
                    "contentMediaType": "text/plain, text/csv, text/tab-separated-values or .xlsx",
                },
                "settings": {
                    "type": "object",
                    "properties": {
                        **settings,
                        "startingRow": {"type": "integer", "minimum": 0},
                        "endingRow": {"type": "integer", "minimum": 0},
                        "endingRowRow": {
                            "type": "integer",
                            "minimum": 0,
                            "description": "Alias of endingRow.",
                        },
                        "column": {"type": "integer", "minimum": 0},
                        "sheet": {"type": "integer", "minimum": 0},
                        "lineEnding": {"enum": ["Auto", "CrLf", "Cr", "Lf"]},
                        "delimiter": {"type": "string", "minLength": 1, "maxLength": 1},
                    },
                },
            },
        },
        "Overview": {
            "type": "object",
            "required": [
                "id",
                "status",
                "noOfEntries",
                "submittedOn",
                "createdOn",
                "clientIP",
                "owner",
                "quality",
                "deduplication",
                "retention",
            ],
            "properties": {
                "id": {"type": "string", "format": "uuid"},
                "status": {"enum": ["InProgress", "Completed", "Deleted", "Expired"]},
                "noOfEntries": {"type": "integer"},
                **_alike(_DATE_TIME, "submittedOn", "createdOn", "completedOn"),
                **_alike({"type": "string"}, "clientIP", "owner", "quality", "deduplication"),
                "retention": _TIMESPAN,
                "priority": {"type": ["integer", "null"]},
                "name": _STRING_OR_NULL,
                "progress": {
                    "type": "object",
                    "properties": {"percentage": {"type": "number"}, "estimatedTimeRemaining": _TIMESPAN},
                },
            },
        },
        "Entry": {
            "type": "object",
            "required": ["index", "inputData", "classification", "status", "completedOn"],
            "properties": {
                "index": {"type": "integer"},
                "inputData": {"type": "string"},
                "classification": {"enum": ["Deliverable", "Risky", "Undeliverable", "Unknown"]},
                "status": {"type": "string"},
                **_alike(
                    _STRING_OR_NULL,
                    "emailAddress",
                    "emailAddressLocalPart",
                    "emailAddressDomainPart",
                    "asciiEmailAddressDomainPart",
                ),
                **_alike(
                    {"type": "boolean"},
                    "hasInternationalMailboxName",
                    "hasInternationalDomainName",
                    "isDisposableEmailAddress",
                    "isRoleAccount",
                    "isFreeEmailAddress",
                ),
                **_alike({"type": "integer"}, "syntaxFailureIndex", "duplicateOf"),
                "custom": {"type": "string"},
                "suggestions": {"type": "array", "items": {"type": "string"}},
                "completedOn": _DATE_TIME,
                "evidence": {"oneOf": [ref("Evidence"), {"type": "null"}]},
            },
        },
        "Evidence": {
            "type": "object",
            "description": "The exchange that decided the verdict (only with include=evidence).",
            "required": ["mxHost", "command", "replyCode", "enhancedCode", "replyText", "egress"],
            "properties": {
                **_alike(_STRING_OR_NULL, "mxHost", "command", "enhancedCode", "replyText", "egress"),
                "replyCode": {"type": ["integer", "null"]},
            },
        },
        "Meta": {
            "type": "object",
            "required": ["isTruncated"],
            "properties": {"cursor": {"type": "string"}, "isTruncated": {"type": "boolean"}},
        },
        "EntryPage": _page("Entry"),
        "OverviewPage": _page("Overview"),
        "Job": {
            "type": "object",
            "required": ["overview"],
            "properties": {"overview": ref("Overview"), "entries": ref("EntryPage")},
        },
        "Balance": _balance("creditPacks"),
        "DailyUsagePage": {
            "type": "object",
            "properties": {
                "meta": ref("Meta"),
                "data": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "date": {"type": "string", "format": "date"},
                            "creditPacks": {"type": "number"},
                            "freeCredits": {"type": "number"},
                        },
                    },
                },
            },
        },
        "V1Error": {
            "type": "object",
            "properties": {"status": {"type": "integer"}, "message": {"type": "string"}},
        },
        "V1ValidationRequest": {
            "type": "object",
            "required": ["entries"],
            "properties": {
                "entries": {"type": "array", "minItems": 1, "items": entry_input},
                "quality": {"enum": ["standard", "high", "extreme", "Standard", "High", "Extreme", None]},
                "priority": {"type": ["integer", "null"], "minimum": 0, "maximum": 255},
                "deduplication": {"enum": ["off", "safe", "Off", "Safe", None]},
            },
        },
        "V1Snapshot": {
            "type": "object",
            "properties": {
                "uniqueID": {"type": "string"},
                "engineVersion": {"type": "string"},
                "submittedOn": _DATE_TIME,
                "completedOn": _DATE_TIME,
                "priority": {"type": "integer"},
                "progress": {"type": "object"},
                "entries": {"type": "array", "items": {"type": "object"}},
            },
        },
        "V1Balance": _balance("credits"),
    }


def _balance(credits: str) -> dict[str, Any]:
    """A credit balance; `credits` names the paid-credits property, which differs between API versions."""
    return {
        "type": "object",
        "properties": {
            credits: {"type": "number"},
            "freeCredits": {"type": ["number", "null"]},
            "freeCreditsResetIn": _STRING_OR_NULL,
        },
    }


def _page(item: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["meta", "data"],
        "properties": {"meta": ref("Meta"), "data": {"type": "array", "items": ref(item)}},
    }


def document() -> dict[str, Any]:
    """The OpenAPI 3.1 document."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Verifalia-compatible email verification API",
            "version": version("verifalia-server"),
            "description": "Verifalia API v1.4 and v2.x (any /vX.Y prefix from v2.0 up).",
        },
        "servers": [{"url": "/"}],
        "security": [{"basic": []}, {"bearer": []}],
        "paths": {**_v1_paths(), **_v2_paths(), **_service_paths()},
        "components": {
            "securitySchemes": {
                "basic": {
                    "type": "http",
                    "scheme": "basic",
                    "description": (
                        "A username (or SID) and password (auth token), or a browser app's key and an empty"
                        " password."
                    ),
                },
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            },
            "schemas": {**_schemas(), **user_openapi.schemas(), **contact_method_openapi.schemas()},
        },
    }


async def serve(request: web.Request) -> web.Response:
    """Serve the OpenAPI document."""
    del request
    return web.Response(body=orjson.dumps(document()), content_type=JSON)


def setup(app: web.Application) -> None:
    """Add `GET /openapi.json`."""
    app.router.add_get("/openapi.json", serve, allow_head=False)
