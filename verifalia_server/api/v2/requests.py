"""Reading a v2 job submission: a JSON body, or a multipart file upload with a `settings` part."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import orjson
from aiohttp import web

from verifalia_server.api.callbacks import CallbackUrlError, check_callback_url
from verifalia_server.api.files import FileSettings, extract_addresses, read_upload
from verifalia_server.api.submission import (
    DEDUPLICATION_MODES,
    Submission,
    SubmittedEntry,
    bad_request,
    parse_entries,
    parse_priority,
    parse_quality,
)
from verifalia_server.api.v2.timespans import parse_timespan

MIN_RETENTION = timedelta(minutes=5)
MAX_RETENTION = timedelta(days=30)
MAX_NAME_LENGTH = 255
CALLBACK_VERSIONS = ("1.0", "1.1")


async def read_submission(
    request: web.Request, *, max_entries: int, max_body_bytes: int, allow_private_callbacks: bool
) -> Submission:
    """Parse and validate the job request of `POST /email-validations` (JSON or multipart)."""
    if request.content_type == "multipart/form-data":
        upload = await read_upload(request, max_body_bytes)
        addresses = extract_addresses(
            upload.content, upload.media_type, FileSettings.from_mapping(upload.settings), max_entries
        )
        if len(addresses) > max_entries:
            raise bad_request(
                f"The file holds more than {max_entries} entries; at most {max_entries} per job."
            )
        entries = [SubmittedEntry(address) for address in addresses]
        return _submission(upload.settings, entries, allow_private_callbacks)
    body = await request.read()
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise bad_request(f"The request body is not valid JSON: {exc}.") from None
    if not isinstance(parsed, dict):
        raise bad_request("The request body must be a JSON object with an 'entries' array.")
    return _submission(parsed, parse_entries(parsed.get("entries"), max_entries), allow_private_callbacks)


def _submission(
    options: Mapping[str, Any], entries: list[SubmittedEntry], allow_private_callbacks: bool
) -> Submission:
    return Submission(
        entries=entries,
        quality=parse_quality(options.get("quality")),
        deduplication=_deduplication(options.get("deduplication")),
        priority=parse_priority(options.get("priority")),
        name=_name(options.get("name")),
        retention=_retention(options.get("retention")),
        callback=_callback(options.get("callback"), allow_private_callbacks),
    )


def _deduplication(raw: object) -> str:
    if raw is None:
        return "Off"
    for mode in DEDUPLICATION_MODES:
        if isinstance(raw, str) and raw.strip().lower() == mode.lower():
            return mode
    raise bad_request(f"'deduplication' must be one of {', '.join(DEDUPLICATION_MODES)}.")


def _name(raw: object) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or len(raw) > MAX_NAME_LENGTH:
        raise bad_request(f"'name' must be a string of at most {MAX_NAME_LENGTH} characters.")
    return raw


def _retention(raw: object) -> timedelta | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise bad_request("'retention' must be a timespan string such as '1.00:00:00'.")
    try:
        retention = parse_timespan(raw)
    except ValueError as exc:
        raise bad_request(f"'retention' is invalid: {exc}.") from None
    if not MIN_RETENTION <= retention <= MAX_RETENTION:
        raise bad_request(f"'retention' must be between 0:05:00 and 30.00:00:00, got {raw!r}.")
    return retention


def _callback(raw: object, allow_private: bool) -> dict[str, Any] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("url"), str):
        raise bad_request("'callback' must be an object with a 'url' string.")
    url: str = raw["url"].strip()
    try:
        check_callback_url(url, allow_private)
    except CallbackUrlError as exc:
        raise bad_request(f"'callback.url' is invalid: {exc}.") from None
    callback: dict[str, Any] = {"url": url}
    version = raw.get("version")
    if version is not None:
        if version not in CALLBACK_VERSIONS:
            raise bad_request(f"'callback.version' must be one of {', '.join(CALLBACK_VERSIONS)}.")
        callback["version"] = version
    skip = raw.get("skipServerCertificateValidation")
    if skip is not None:
        if not isinstance(skip, bool):
            raise bad_request("'callback.skipServerCertificateValidation' must be a boolean.")
        callback["skipServerCertificateValidation"] = skip
    return callback
