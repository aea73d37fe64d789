"""Reading and deleting jobs as a user, and the failures every surface answers: not found, forbidden, gone."""

from __future__ import annotations

import uuid
from typing import Any

from verifalia_server.service.errors import Gone, NotFound, StillInProgress
from verifalia_server.service.permissions import DELETE_JOBS, READ_JOBS, Principal
from verifalia_server.store import jobs
from verifalia_server.store.database import Pool
from verifalia_server.store.jobs import DeleteOutcome, Job


async def read_job(pool: Pool[Any], principal: Principal, job_id: uuid.UUID) -> Job:
    """A job of the user's account it may read; `NotFound` when unknown (or another account's), `Forbidden`
    when it may read only its own, `Gone` when deleted or expired."""
    job = await jobs.get_job(pool, principal.account_id, job_id)
    if job is None:
        raise NotFound(f"No email validation job has the id {job_id}.")
    principal.require(READ_JOBS, owner=job.owner)
    if job.is_gone:
        raise Gone(f"The email validation job {job_id} has been deleted or has expired.")
    return job


async def delete_job(
    pool: Pool[Any], principal: Principal, job_id: uuid.UUID, *, allow_in_progress: bool = False
) -> None:
    """Delete a job of the user's account; `NotFound`, `Forbidden`, `Gone`, or `StillInProgress` unless
    `allow_in_progress`."""
    job = await jobs.get_job(pool, principal.account_id, job_id)
    if job is None:
        raise NotFound(f"No email validation job has the id {job_id}.")
    principal.require(DELETE_JOBS, owner=job.owner)
    outcome = await jobs.delete_job(pool, principal.account_id, job_id, allow_in_progress=allow_in_progress)
    if outcome is DeleteOutcome.NOT_FOUND:
        raise NotFound(f"No email validation job has the id {job_id}.")
    if outcome is DeleteOutcome.GONE:
        raise Gone(f"The email validation job {job_id} has been deleted or has expired.")
    if outcome is DeleteOutcome.IN_PROGRESS:
        raise StillInProgress("The email validation job is still in progress.")
