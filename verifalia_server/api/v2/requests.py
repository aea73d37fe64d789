"""Reading a v2 job submission: a JSON body, or a multipart file upload with a `settings` part."""

from __future__ import annotations

import asyncio

import orjson
from aiohttp import web

from verifalia_server.api.shared.errors import bad_request
from verifalia_server.api.shared.files import extract_addresses, read_upload
from verifalia_server.api.shared.models import (
    RequestLimits,
    UploadSettings,
    V2SubmissionRequest,
    parse_body,
    submitted_entries,
)
from verifalia_server.callbacks.dispatcher import CallbackUrlError, check_callback_destination
from verifalia_server.callbacks.resolver import CallbackResolverConfig
from verifalia_server.service.submission import Submission, SubmittedEntry


async def read_submission(
    request: web.Request, *, max_entries: int, max_body_bytes: int, callbacks: CallbackResolverConfig
) -> Submission:
    """Parse and validate the job request of `POST /email-validations` (JSON or multipart)."""
    limits = RequestLimits(max_entries=max_entries, allow_private_callbacks=callbacks.allow_private)
    if request.content_type == "multipart/form-data":
        upload = await read_upload(request, max_body_bytes)
        settings = parse_body(UploadSettings, upload.settings, limits)
        addresses = await asyncio.to_thread(
            extract_addresses, upload.content, upload.media_type, settings.file_settings(), max_entries
        )
        if len(addresses) > max_entries:
            raise bad_request(
                f"The file holds more than {max_entries} entries; at most {max_entries} per job."
            )
        return await _checked(
            settings.submission([SubmittedEntry(address) for address in addresses]), callbacks
        )
    body = await request.read()
    try:
        decoded = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise bad_request(f"The request body is not valid JSON: {exc}.") from None
    request_body = parse_body(V2SubmissionRequest, decoded, limits)
    submission = request_body.submission(submitted_entries(request_body.entries))
    return await _checked(submission, callbacks)


async def _checked(submission: Submission, callbacks: CallbackResolverConfig) -> Submission:
    """The submission, once its callback URL (if any) is known to be deliverable."""
    if submission.callback is not None:
        try:
            await check_callback_destination(submission.callback["url"], callbacks)
        except CallbackUrlError as exc:
            raise bad_request(f"Invalid 'callback.url': {exc}.") from None
    return submission
