"""Verifalia API v1.4: submit, poll and delete email validation jobs, and read the account balance."""

from __future__ import annotations

import asyncio
import uuid
from importlib.metadata import version
from typing import Any

import json5
import orjson
from aiohttp import web

from verifalia_server.api.shared.auth import BROWSER_APP_KEY, require
from verifalia_server.api.shared.errors import ApiError, bad_request, error_for_status
from verifalia_server.api.shared.keys import (
    CAPTCHA_VERIFIER_KEY,
    EVENTS_KEY,
    POOL_KEY,
    SETTINGS_KEY,
    SNAPSHOT_CACHE_KEY,
)
from verifalia_server.api.shared.middleware import CLIENT_IP_KEY
from verifalia_server.api.shared.models import RequestLimits, V1SubmissionRequest, parse_body
from verifalia_server.api.shared.wire import estimated_remaining_seconds, iso_datetime, timespan
from verifalia_server.engine.statuses import Status, v1_shorthands, v1_status
from verifalia_server.service import jobs
from verifalia_server.service.browser_apps import submit_job
from verifalia_server.service.errors import Gone, NotFound, StillInProgress
from verifalia_server.service.permissions import DELETE_JOBS, READ_CREDITS, READ_JOBS, SUBMIT_JOBS, Principal
from verifalia_server.store.credits import get_balance
from verifalia_server.store.database import Row
from verifalia_server.store.entries import StoredEntry, iter_entry_rows, list_entries
from verifalia_server.store.jobs import NORMAL_PRIORITY, Job, get_job

PREFIX = "/v1.4"
ENGINE_VERSION = f"verifalia-server {version('verifalia-server')}"
_STREAM_CHUNK = 5000
# The largest body the relaxed (pure-Python, slow) parser takes: hand-written bodies, not bulk uploads.
RELAXED_JSON_MAX_BYTES = 64 * 1024


def _v1_status_fields(status: Status) -> dict[str, Any]:
    spelled = v1_status(status)
    return {"status": spelled.value, **v1_shorthands(spelled)}


# Precomputed per status code (a `Status` is its own code): the v1.4 spelling and its shorthand booleans.
_STATUS_FIELDS: dict[str, dict[str, Any]] = {status.value: _v1_status_fields(status) for status in Status}


def entry_json(stored: StoredEntry | Row) -> dict[str, Any]:
    """One completed entry as the v1.4 snapshot shows it: the stored entry in v1.4's field set and codes.

    `stored` is a `StoredEntry` or a row of the same values (`iter_entry_rows`), read by position in one
    dict display, not through the v2 rendering: a 100,000-entry snapshot builds this 100,000 times, each
    from its row, and v1.4's fields are frozen.
    """
    (
        index,
        input_data,
        custom,
        status,
        duplicate_of,
        email_address,
        local_part,
        domain_part,
        ascii_domain_part,
        has_international_domain_name,
        has_international_mailbox_name,
        is_disposable,
        is_free,
        is_role,
        syntax_failure_index,
        _suggestions,
        _evidence,
        completed_on,
    ) = stored
    if status is None:
        raise ValueError(f"entry {index} has no verdict yet")
    entry: dict[str, Any] = {
        "inputData": input_data,
        "custom": custom,
        "completedOn": None if completed_on is None else iso_datetime(completed_on),
        "emailAddress": email_address,
        "asciiEmailAddressDomainPart": ascii_domain_part,
        "emailAddressLocalPart": local_part,
        "emailAddressDomainPart": domain_part,
        "hasInternationalDomainName": has_international_domain_name,
        "hasInternationalMailboxName": has_international_mailbox_name,
        "isDisposableEmailAddress": is_disposable,
        "isFreeEmailAddress": is_free,
        "isRoleAccount": is_role,
        "syntaxFailureIndex": syntax_failure_index,
    }
    if custom is None:
        del entry["custom"]
    if duplicate_of is not None:
        entry["duplicateOf"] = duplicate_of
    entry.update(_STATUS_FIELDS[status])
    return entry


def snapshot_header(job: Job) -> dict[str, Any]:
    """The job-level fields of a v1.4 snapshot."""
    header: dict[str, Any] = {
        "uniqueID": str(job.id),
        "engineVersion": ENGINE_VERSION,
        "submittedOn": iso_datetime(job.submitted_on),
    }
    if job.completed_on is not None:
        header["completedOn"] = iso_datetime(job.completed_on)
    if job.priority is not None and job.priority != NORMAL_PRIORITY:
        header["priority"] = job.priority
    progress: dict[str, Any] = {
        "noOfTotalEntries": job.no_of_entries,
        "noOfCompletedEntries": job.no_of_completed,
    }
    if not job.is_completed:
        remaining = estimated_remaining_seconds(
            job.no_of_entries, job.no_of_completed, job.submitted_on, job.now
        )
        if remaining is not None:
            progress["estimatedRemainingTime"] = timespan(remaining)
    header["progress"] = progress
    return header


def _location(request: web.Request, job: Job) -> str:
    return str(request.url.with_path(f"{PREFIX}/email-validations/{job.id}").with_query(None))


async def _respond(
    request: web.Request, job: Job, headers: dict[str, str] | None = None
) -> web.StreamResponse:
    """202 with the progress while in progress; 200 with every entry once complete (large ones streamed)."""
    if not job.is_completed:
        return web.Response(
            status=202,
            body=orjson.dumps(snapshot_header(job)),
            content_type="application/json",
            headers=headers,
        )
    if job.no_of_entries > _STREAM_CHUNK:
        return await _stream(request, job, headers)
    cache = request.app[SNAPSHOT_CACHE_KEY]
    # A completed job's header never changes, so a cached body is served whole.
    body = cache.get(job.id)
    if body is None:
        rows = await list_entries(request.app[POOL_KEY], job.id)
        body = orjson.dumps({**snapshot_header(job), "entries": list(map(entry_json, rows))})
        cache.put(job.id, body)
    return web.Response(body=body, content_type="application/json", headers=headers)


async def _stream(request: web.Request, job: Job, headers: dict[str, str] | None) -> web.StreamResponse:
    """Write a large snapshot in chunks, so memory stays flat whatever the job size."""
    response = web.StreamResponse(status=200, headers=headers)
    response.content_type = "application/json"
    response.charset = "utf-8"
    await response.prepare(request)
    await response.write(orjson.dumps(snapshot_header(job))[:-1] + b',"entries":[')
    first = True
    async for rows in iter_entry_rows(request.app[POOL_KEY], job.id, _STREAM_CHUNK, details=False):
        chunk = orjson.dumps(list(map(entry_json, rows)))[1:-1]
        await response.write(chunk if first else b"," + chunk)
        first = False
    await response.write(b"]}")
    await response.write_eof()
    return response


def _job_id(request: web.Request) -> uuid.UUID:
    try:
        return uuid.UUID(request.match_info["unique_id"])
    except ValueError:
        raise error_for_status(404, "No email validation job has this unique ID.") from None


async def _load_job(request: web.Request, principal: Principal) -> Job:
    try:
        return await jobs.read_job(request.app[POOL_KEY], principal, _job_id(request))
    except NotFound:
        raise error_for_status(404, "No email validation job has this unique ID.") from None
    except Gone:
        raise error_for_status(410, "This email validation job has been deleted or has expired.") from None


def _relaxed_loads(raw: bytes) -> Any:
    return json5.loads(raw.decode("utf-8"))


async def _decode_body(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        # The docs' own examples use JavaScript object syntax (unquoted keys, single quotes); that slower
        # parser only gets hand-written-sized bodies, and runs off the event loop.
        if len(raw) > RELAXED_JSON_MAX_BYTES:
            raise bad_request(
                "The request body is not valid JSON (the relaxed JavaScript-object form of the documentation"
                f" is accepted up to {RELAXED_JSON_MAX_BYTES // 1024} KiB)."
            ) from None
        try:
            return await asyncio.to_thread(_relaxed_loads, raw)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise bad_request("The request body is not valid JSON.") from None


async def submit_validation(request: web.Request) -> web.StreamResponse:
    """`POST /v1.4/email-validations`."""
    principal = await require(request, SUBMIT_JOBS)
    settings = request.app[SETTINGS_KEY]
    body = parse_body(
        V1SubmissionRequest,
        await _decode_body(await request.read()),
        RequestLimits(max_entries=settings.max_entries_per_job),
    )
    pool = request.app[POOL_KEY]
    job = await submit_job(
        pool,
        settings,
        account_id=principal.account_id,
        owner=principal.user_id,
        client_ip=request[CLIENT_IP_KEY],
        submission=body.submission(),
        verifier=request.app[CAPTCHA_VERIFIER_KEY],
        app=request.get(BROWSER_APP_KEY),
    )
    if settings.v1_submit_wait > 0 and await request.app[EVENTS_KEY].wait_completed(
        job.id, settings.v1_submit_wait
    ):
        job = await get_job(pool, principal.account_id, job.id) or job
    return await _respond(request, job, {"Location": _location(request, job)})


async def get_validation(request: web.Request) -> web.StreamResponse:
    """`GET /v1.4/email-validations/{uniqueID}`."""
    principal = await require(request, READ_JOBS)
    return await _respond(request, await _load_job(request, principal))


async def delete_validation(request: web.Request) -> web.Response:
    """`DELETE /v1.4/email-validations/{uniqueID}`: 200, 410 when already gone, 406 while in progress."""
    principal = await require(request, DELETE_JOBS)
    try:
        await jobs.delete_job(request.app[POOL_KEY], principal, _job_id(request))
    except NotFound:
        raise error_for_status(404, "No email validation job has this unique ID.") from None
    except Gone:
        raise error_for_status(
            410, "This email validation job has already been deleted or has expired."
        ) from None
    except StillInProgress:
        raise ApiError(406, "Not Acceptable", "The email validation job is still in progress.") from None
    return web.Response(status=200)


async def account_balance(request: web.Request) -> web.Response:
    """`GET /v1.4/account-balance`."""
    principal = await require(request, READ_CREDITS)
    balance = await get_balance(request.app[POOL_KEY], principal.account_id)
    return web.Response(
        body=orjson.dumps(
            {
                "credits": float(balance.credit_packs),
                "freeCredits": None if balance.free_credits is None else float(balance.free_credits),
                "freeCreditsResetIn": None
                if balance.free_credits_reset_in is None
                else timespan(balance.free_credits_reset_in.total_seconds()),
            }
        ),
        content_type="application/json",
    )


def setup(app: web.Application) -> None:
    """Add the v1.4 routes."""
    app.router.add_post(f"{PREFIX}/email-validations", submit_validation)
    app.router.add_get(f"{PREFIX}/email-validations/{{unique_id}}", get_validation)
    app.router.add_delete(f"{PREFIX}/email-validations/{{unique_id}}", delete_validation)
    app.router.add_get(f"{PREFIX}/account-balance", account_balance)
