"""Reading and deleting an account's jobs, with the failures every surface answers: not found, gone."""

from __future__ import annotations

import uuid
from typing import Any

from verifalia_server.service.errors import Gone, NotFound, StillInProgress
from verifalia_server.store import jobs
from verifalia_server.store.database import Pool
from verifalia_server.store.jobs import DeleteOutcome, Job


async def read_job(pool: Pool[Any], account_id: int, job_id: uuid.UUID) -> Job:
    """The account's job; `NotFound` when unknown (or another account's), `Gone` when deleted or expired."""
    job = await jobs.get_job(pool, account_id, job_id)
    if job is None:
        raise NotFound(f"No email validation job has the id {job_id}.")
    if job.is_gone:
        raise Gone(f"The email validation job {job_id} has been deleted or has expired.")
    return job


async def delete_job(
    pool: Pool[Any], account_id: int, job_id: uuid.UUID, *, allow_in_progress: bool = False
) -> None:
    """Delete the account's job; `NotFound`, `Gone`, or `StillInProgress` unless `allow_in_progress`."""
    outcome = await jobs.delete_job(pool, account_id, job_id, allow_in_progress=allow_in_progress)
    if outcome is DeleteOutcome.NOT_FOUND:
        raise NotFound(f"No email validation job has the id {job_id}.")
    if outcome is DeleteOutcome.GONE:
        raise Gone(f"The email validation job {job_id} has been deleted or has expired.")
    if outcome is DeleteOutcome.IN_PROGRESS:
        raise StillInProgress("The email validation job is still in progress.")
