"""`GET /email-validations/{id}/entries`: a JSON page of entries, or the whole list as CSV or .xlsx.

The representation follows the `Accept` header: when it names no JSON media type but `text/csv` or the
.xlsx media type, the entries are exported as that file; anything else (`application/json`, `*/*`, no
header) gets a JSON page.
"""

from __future__ import annotations

from aiohttp import web

from verifalia_server.api.shared.auth import require
from verifalia_server.api.shared.errors import ApiError
from verifalia_server.api.shared.files import EXCEL_XLS, EXCEL_XLSX, TEXT_CSV
from verifalia_server.api.shared.keys import POOL_KEY, V2_SETTINGS_KEY
from verifalia_server.api.v2.evidence import wants_evidence
from verifalia_server.api.v2.export import ExportSelection, export_csv, export_xlsx
from verifalia_server.api.v2.jobs import json_response, load_job
from verifalia_server.api.v2.pages import entries_page
from verifalia_server.api.v2.query import entry_status_filters, optional_int, paging
from verifalia_server.service.permissions import READ_JOBS

_JSON_TYPES = frozenset({"application/json", "application/problem+json"})


async def get_entries(request: web.Request) -> web.StreamResponse:
    """Serve a page of the job's completed entries, or export them when a file type is asked for."""
    principal = await require(request, READ_JOBS)
    job = await load_job(request, principal)
    pool = request.app[POOL_KEY]
    settings = request.app[V2_SETTINGS_KEY]
    include, exclude = entry_status_filters(request.query)
    with_evidence = wants_evidence(request.query)
    accepted = _accepted_types(request.headers.get("Accept", ""))
    if _JSON_TYPES.isdisjoint(accepted):
        selection = ExportSelection(
            include, exclude, optional_int(request.query, "limit", minimum=1), with_evidence
        )
        if TEXT_CSV in accepted:
            return await export_csv(request, pool, job.id, selection)
        if EXCEL_XLSX in accepted:
            return await export_xlsx(pool, job.id, selection)
        if EXCEL_XLS in accepted:
            raise ApiError(
                406,
                "Not Acceptable",
                f"Excel 97-2003 (.xls) exports are not supported; ask for {TEXT_CSV} or {EXCEL_XLSX}.",
            )
    page = await entries_page(
        pool,
        job.id,
        paging(request.query, settings.max_page_size),
        default_limit=settings.page_size,
        max_limit=settings.max_page_size,
        include=include,
        exclude=exclude,
        with_evidence=with_evidence,
    )
    return json_response(page)


def _accepted_types(header: str) -> set[str]:
    """The media types of an Accept header, parameters dropped (RFC 9110 §12.5.1)."""
    return {item.split(";", 1)[0].strip().lower() for item in header.split(",") if item.strip()}
