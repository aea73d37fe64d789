"""Submitting a LeadRocks bulk list: the list and its job in one transaction, within the app's lists limit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from verifalia_server.engine.verdict import Quality
from verifalia_server.service.errors import LimitReached
from verifalia_server.service.submission import Submission, SubmittedEntry, submit
from verifalia_server.settings import ServiceSettings
from verifalia_server.store.database import Pool
from verifalia_server.store.lists import NewList, app_submission_lock, count_active_lists, insert_list

JOB_SOURCE = "leadrocks"
BULK_QUALITY = Quality.STANDARD


def job_owner(app_id: int) -> str:
    """The `owner` recorded on the jobs of an app's lists."""
    return f"leadrocks-app-{app_id}"


@dataclass(frozen=True, slots=True)
class ListRequest:
    """A parsed bulk list: whose it is, its file, and the emails of its rows."""

    account_id: int
    app_id: int
    file_name: str
    email_column: str
    content: bytes
    no_of_rows: int
    emails: Sequence[str]


async def submit_list(
    pool: Pool[Any], settings: ServiceSettings, request: ListRequest, *, max_lists: int, client_ip: str
) -> int:
    """Store the list and its job in one transaction, committed before the app's submission lock is released.

    `LimitReached` when the app already has `max_lists` lists in progress (0: no limit), `InsufficientCredits`
    and `InvalidInput` as `submit` raises them; nothing is stored then.
    """
    if settings.database_url is None:
        raise RuntimeError("the service settings name no database")
    submission = Submission(
        entries=[SubmittedEntry(email) for email in request.emails],
        quality=BULK_QUALITY,
        deduplication="Safe",
        name=request.file_name,
        source=JOB_SOURCE,
    )
    async with app_submission_lock(settings.database_url, request.app_id):
        if max_lists and await count_active_lists(pool, request.app_id) >= max_lists:
            raise LimitReached(f"The app has {max_lists} lists in progress already.")
        async with pool.acquire() as connection, connection.transaction():
            job = await submit(
                pool,
                settings,
                account_id=request.account_id,
                owner=job_owner(request.app_id),
                client_ip=client_ip,
                submission=submission,
                connection=connection,
            )
            return await insert_list(
                connection,
                NewList(
                    account_id=request.account_id,
                    app_id=request.app_id,
                    job_id=job.id,
                    file_name=request.file_name,
                    email_column=request.email_column,
                    content=request.content,
                    no_of_rows=request.no_of_rows,
                ),
            )
