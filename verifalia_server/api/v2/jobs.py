"""Job routes: submit (`POST /email-validations`), get, overview and delete one job.

Every job response is 200 when the job is Completed and 202 otherwise; `waitTime` holds the request
until the job completes (on any node) or the wait ends. Unknown ids answer 404, deleted or expired jobs
410: the SDKs read both as "no such job".
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from aiohttp import web

from verifalia_server.api.shared.auth import BROWSER_APP_KEY, require
from verifalia_server.api.shared.errors import ApiError
from verifalia_server.api.shared.keys import (
    CALLBACK_RESOLVER_KEY,
    CAPTCHA_VERIFIER_KEY,
    EVENTS_KEY,
    POOL_KEY,
    SETTINGS_KEY,
    V2_SETTINGS_KEY,
)
from verifalia_server.api.shared.middleware import CLIENT_IP_KEY
from verifalia_server.api.v2 import serializers
from verifalia_server.api.v2.evidence import wants_evidence
from verifalia_server.api.v2.pages import entries_page
from verifalia_server.api.v2.query import Paging
from verifalia_server.api.v2.requests import read_submission
from verifalia_server.api.v2.waiting import wait_seconds
from verifalia_server.service import jobs
from verifalia_server.service.browser_apps import submit_job
from verifalia_server.service.errors import Gone
from verifalia_server.service.permissions import DELETE_JOBS, READ_JOBS, SUBMIT_JOBS, Principal
from verifalia_server.store.jobs import Job, get_job

_FIRST_PAGE = Paging(cursor=None, backward=False, limit=None)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON success response (`application/json`, never `application/problem+json`)."""
    return web.Response(
        body=orjson.dumps(body),
        status=status,
        content_type="application/json",
        charset="utf-8",
        headers=headers,
    )


async def submit(request: web.Request) -> web.Response:
    """Create a job from JSON entries or an uploaded file, then wait up to `waitTime` for it."""
    principal = await require(request, SUBMIT_JOBS)
    settings = request.app[SETTINGS_KEY]
    wait = wait_seconds(request.query, request.headers.get("User-Agent", ""))
    submission = await read_submission(
        request,
        max_entries=settings.max_entries_per_job,
        max_body_bytes=settings.max_body_bytes,
        callbacks=request.app[CALLBACK_RESOLVER_KEY],
    )
    job = await submit_job(
        request.app[POOL_KEY],
        settings,
        account_id=principal.account_id,
        owner=principal.user_id,
        client_ip=request.get(CLIENT_IP_KEY) or request.remote or "0.0.0.0",
        submission=submission,
        verifier=request.app[CAPTCHA_VERIFIER_KEY],
        app=request.get(BROWSER_APP_KEY),
    )
    return await _job_response(request, principal, job, wait, with_entries=True)


async def get(request: web.Request) -> web.Response:
    """Return a job (with its first entries page once completed), waiting up to `waitTime`."""
    principal = await require(request, READ_JOBS)
    with_evidence = wants_evidence(request.query)
    job = await load_job(request, principal)
    wait = wait_seconds(request.query, request.headers.get("User-Agent", ""))
    return await _job_response(request, principal, job, wait, with_entries=True, with_evidence=with_evidence)


async def overview(request: web.Request) -> web.Response:
    """Return a job's bare overview, waiting up to `waitTime`."""
    principal = await require(request, READ_JOBS)
    job = await load_job(request, principal)
    wait = wait_seconds(request.query, request.headers.get("User-Agent", ""))
    return await _job_response(request, principal, job, wait, with_entries=False)


async def delete(request: web.Request) -> web.Response:
    """Delete a job (stopping it if still in progress): 200, or 410 when already gone."""
    principal = await require(request, DELETE_JOBS)
    job_id = parse_job_id(request)
    await jobs.delete_job(request.app[POOL_KEY], principal, job_id, allow_in_progress=True)
    return json_response({})


def parse_job_id(request: web.Request) -> uuid.UUID:
    """The job id of the path; 404 when it is not a job id at all."""
    text = request.match_info["id"]
    try:
        return uuid.UUID(text)
    except ValueError:
        raise ApiError(404, "Not Found", f"No email validation job has the id {text!r}.") from None


async def load_job(request: web.Request, principal: Principal) -> Job:
    """The job named by the path; 404 when unknown (or another account's), 403 when it is another user's and
    the caller may read only its own, 410 when gone."""
    return await jobs.read_job(request.app[POOL_KEY], principal, parse_job_id(request))


async def _job_response(
    request: web.Request,
    principal: Principal,
    job: Job,
    wait: float,
    *,
    with_entries: bool,
    with_evidence: bool = False,
) -> web.Response:
    pool = request.app[POOL_KEY]
    if not job.is_completed and wait > 0:
        await request.app[EVENTS_KEY].wait_completed(job.id, wait)
        reloaded = await get_job(pool, principal.account_id, job.id)
        if reloaded is None or reloaded.is_gone:
            raise Gone(f"The email validation job {job.id} has been deleted or has expired.")
        job = reloaded
    body = serializers.overview(job)
    if not job.is_completed:
        location = f"/{request.match_info['version']}/email-validations/{job.id}"
        return json_response(body if not with_entries else {"overview": body}, 202, {"Location": location})
    if not with_entries:
        return json_response(body)
    settings = request.app[V2_SETTINGS_KEY]
    page = await entries_page(
        pool,
        job.id,
        _FIRST_PAGE,
        default_limit=settings.page_size,
        max_limit=settings.max_page_size,
        with_evidence=with_evidence,
    )
    return json_response({"overview": body, "entries": page})
