"""Turning a parsed bulk list into a job of the shared scheduler, within the app's concurrent-lists limit."""

from __future__ import annotations

from aiohttp import web

from verifalia_server.api.errors import ApiError
from verifalia_server.api.keys import SETTINGS_KEY
from verifalia_server.api.leadrocks.access import Caller
from verifalia_server.api.leadrocks.csvfile import CsvTable
from verifalia_server.api.leadrocks.errors import LeadRocksError
from verifalia_server.api.leadrocks.upload import ListUpload
from verifalia_server.api.leadrocks_codes import ErrorCode
from verifalia_server.api.middleware import CLIENT_IP_KEY
from verifalia_server.api.submission import Submission, SubmittedEntry, submit
from verifalia_server.engine.verdict import Quality
from verifalia_server.store.lists import NewList, app_submission_lock, count_active_lists, insert_list

JOB_SOURCE = "leadrocks"
BULK_QUALITY = Quality.STANDARD


def job_owner(app_id: int) -> str:
    """The `owner` recorded on the jobs of an app's lists."""
    return f"leadrocks-app-{app_id}"


async def submit_list(request: web.Request, caller: Caller, upload: ListUpload, table: CsvTable) -> int:
    """Store the list and its job in one transaction, committed before the app's submission lock is released.

    Error 109 over the app's concurrent lists, 103 without credits.
    """
    limit = caller.limits.max_concurrent_lists
    submission = Submission(
        entries=[SubmittedEntry(email) for email in table.emails()],
        quality=BULK_QUALITY,
        deduplication="Safe",
        name=upload.file_name,
        source=JOB_SOURCE,
    )
    settings = request.app[SETTINGS_KEY]
    if settings.database_url is None:
        raise RuntimeError("the service settings name no database")
    async with app_submission_lock(settings.database_url, caller.app.id):
        if limit and await count_active_lists(caller.pool, caller.app.id) >= limit:
            raise LeadRocksError(ErrorCode.TOO_MANY_BULK_LISTS)
        async with caller.pool.acquire() as connection, connection.transaction():
            try:
                job = await submit(
                    caller.pool,
                    settings,
                    account_id=caller.app.account_id,
                    owner=job_owner(caller.app.id),
                    client_ip=request.get(CLIENT_IP_KEY) or request.remote or "0.0.0.0",
                    submission=submission,
                    connection=connection,
                )
            except ApiError as error:
                if error.status == 400:
                    # A row the store cannot take (over the entry length cap, or holding a NUL).
                    raise LeadRocksError(ErrorCode.INVALID_FILE) from None
                if error.status != 402:
                    raise
                raise LeadRocksError(ErrorCode.NO_CREDITS) from None
            return await insert_list(
                connection,
                NewList(
                    account_id=caller.app.account_id,
                    app_id=caller.app.id,
                    job_id=job.id,
                    file_name=upload.file_name,
                    email_column=table.header[table.email_index],
                    content=upload.content,
                    no_of_rows=len(table.rows),
                ),
            )
