"""Reading a v2 job submission: a JSON body, or a multipart file upload with a `settings` part."""

from __future__ import annotations

import orjson
from aiohttp import web

from verifalia_server.api.files import extract_addresses, read_upload
from verifalia_server.api.models import (
    RequestLimits,
    UploadSettings,
    V2SubmissionRequest,
    parse_body,
    submitted_entries,
)
from verifalia_server.api.submission import Submission, SubmittedEntry, bad_request


async def read_submission(
    request: web.Request, *, max_entries: int, max_body_bytes: int, allow_private_callbacks: bool
) -> Submission:
    """Parse and validate the job request of `POST /email-validations` (JSON or multipart)."""
    limits = RequestLimits(max_entries=max_entries, allow_private_callbacks=allow_private_callbacks)
    if request.content_type == "multipart/form-data":
        upload = await read_upload(request, max_body_bytes)
        settings = parse_body(UploadSettings, upload.settings, limits)
        addresses = extract_addresses(
            upload.content, upload.media_type, settings.file_settings(), max_entries
        )
        if len(addresses) > max_entries:
            raise bad_request(
                f"The file holds more than {max_entries} entries; at most {max_entries} per job."
            )
        return settings.submission([SubmittedEntry(address) for address in addresses])
    body = await request.read()
    try:
        decoded = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise bad_request(f"The request body is not valid JSON: {exc}.") from None
    submission = parse_body(V2SubmissionRequest, decoded, limits)
    return submission.submission(submitted_entries(submission.entries))
