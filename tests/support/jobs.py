"""Jobs submitted straight through the submission service, without an HTTP request."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg

from tests.support.database import TestAccount
from verifalia_server.service.submission import Submission, SubmittedEntry, submit
from verifalia_server.settings import ServiceSettings


async def submit_job(
    pool: asyncpg.Pool[Any],
    account: TestAccount,
    inputs: Sequence[str],
    *,
    priority: int | None = None,
    client_ip: str = "127.0.0.1",
) -> uuid.UUID:
    """Submit a job of these inputs for the account's first sub-account; return the job's id."""
    job = await submit(
        pool,
        ServiceSettings(),
        account_id=account.account_id,
        owner=account.sid,
        client_ip=client_ip,
        submission=Submission(entries=[SubmittedEntry(text) for text in inputs], priority=priority),
    )
    return job.id
