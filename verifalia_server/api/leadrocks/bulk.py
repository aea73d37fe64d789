"""`POST /v1/bulkverify`, `GET /v1/bulkverify/{list_id}` and `GET /v1/bulkverify/{list_id}/download`.

A bulk list becomes a Verifalia job (source `leadrocks`, Standard quality, safe deduplication) holding
one entry per row with a non-empty email cell, so it runs through the same scheduler and is charged from
the same balance. Its progress is `queued` until the first entry has been verified (duplicate rows, settled
on upload, do not count), `in_progress` until the last, then `completed`; the result file can be downloaded
once the list is completed (before that the download answers error 108 with HTTP 400). A progress poll never
reads the uploaded file; only the download does.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from verifalia_server.api.leadrocks.access import admit
from verifalia_server.api.leadrocks.codes import ErrorCode
from verifalia_server.api.leadrocks.csvfile import CsvRejected, CsvTable, parse_csv, render_results
from verifalia_server.api.leadrocks.errors import LeadRocksError
from verifalia_server.api.leadrocks.responses import leadrocks_handler, success
from verifalia_server.api.leadrocks.results import LeadRocksVerdict
from verifalia_server.api.leadrocks.submit import submit_list
from verifalia_server.api.leadrocks.upload import read_list_upload
from verifalia_server.engine.statuses import Status
from verifalia_server.store.database import Pool
from verifalia_server.store.lists import (
    BulkList,
    EntryResult,
    ListProgress,
    get_list,
    get_progress,
    list_results,
)

_LIST_ID = re.compile(r"^[0-9]{16}$")
_UNSAFE_FILE_NAME = re.compile(r"[^A-Za-z0-9 ._()-]+")


@leadrocks_handler
async def create_list(request: web.Request) -> web.Response:
    """Queue an uploaded CSV file for verification and answer its list id."""
    caller = await admit(request)
    upload = await read_list_upload(request)
    try:
        table = parse_csv(upload.content, upload.email_column)
    except CsvRejected as rejected:
        raise LeadRocksError(rejected.code) from None
    list_id = await submit_list(request, caller, upload, table)
    return success({"list_id": list_id})


def _list_id_of(request: web.Request) -> int:
    raw = request.match_info["list_id"]
    if not _LIST_ID.match(raw):
        raise LeadRocksError(ErrorCode.INVALID_LIST_ID)
    return int(raw)


def progress_status(progress: ListProgress) -> str:
    """`queued`, `in_progress` or `completed`."""
    if progress.job_completed:
        return "completed"
    return "in_progress" if progress.verifying_started else "queued"


@leadrocks_handler
async def list_progress(request: web.Request) -> web.Response:
    """The progress of one of the account's lists."""
    caller = await admit(request)
    progress = await get_progress(caller.pool, caller.app.account_id, _list_id_of(request))
    if progress is None:
        raise LeadRocksError(ErrorCode.INVALID_LIST_ID)
    return success({"list_id": progress.list_id, "progress_status": progress_status(progress)})


async def _row_verdicts(pool: Pool[Any], bulk_list: BulkList, table: CsvTable) -> list[LeadRocksVerdict]:
    """One verdict per data row: its entry's (a duplicate's original's), or `empty` for a blank email."""
    results = await list_results(pool, bulk_list.job_id)

    def verdict_of(result: EntryResult) -> LeadRocksVerdict:
        if result.status is Status.DUPLICATE and result.duplicate_of is not None:
            result = results[result.duplicate_of]
        status = result.status if result.status is not None else Status.UNHANDLED_EXCEPTION
        return LeadRocksVerdict.of(
            status, disposable=result.is_disposable, free=result.is_free, role=result.is_role
        )

    entries = iter(results)
    return [
        verdict_of(next(entries)) if table.email_of(row) else LeadRocksVerdict.empty() for row in table.rows
    ]


def _result_file_name(file_name: str) -> str:
    stem = _UNSAFE_FILE_NAME.sub("_", file_name.rsplit(".", 1)[0]).strip() or "list"
    return f"{stem}-results.csv"


@leadrocks_handler
async def download(request: web.Request) -> web.Response:
    """The completed list as CSV: every original row and column, then the five result columns."""
    caller = await admit(request)
    bulk_list = await get_list(caller.pool, caller.app.account_id, _list_id_of(request))
    if bulk_list is None:
        raise LeadRocksError(ErrorCode.INVALID_LIST_ID)
    if not bulk_list.job_completed:
        raise LeadRocksError(ErrorCode.INVALID_LIST_ID, http_status=400)
    table = parse_csv(bulk_list.content, bulk_list.email_column)
    body = render_results(table, await _row_verdicts(caller.pool, bulk_list, table))
    # RFC 6266 §4.1: attachment with a plain-ASCII file name.
    disposition = f'attachment; filename="{_result_file_name(bulk_list.file_name)}"'
    return web.Response(
        body=body, content_type="text/csv", charset="utf-8", headers={"Content-Disposition": disposition}
    )
