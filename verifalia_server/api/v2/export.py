"""Exports of a job's entries as a file: CSV (RFC 4180) streamed in chunks, or an .xlsx workbook."""

from __future__ import annotations

import asyncio
import csv
import io
import tempfile
import uuid
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import openpyxl
from aiohttp import web

from verifalia_server.api.files import EXCEL_XLSX, TEXT_CSV
from verifalia_server.api.v2.evidence import EVIDENCE_COLUMNS, evidence_cells
from verifalia_server.api.wire import iso_datetime
from verifalia_server.engine.statuses import Status, classify
from verifalia_server.store.database import Pool
from verifalia_server.store.entries import iter_entries

COLUMNS = (
    "Index",
    "Input data",
    "Classification",
    "Status",
    "Email address",
    "Local part",
    "Domain part",
    "ASCII domain part",
    "International mailbox",
    "International domain",
    "Disposable",
    "Free",
    "Role account",
    "Syntax failure index",
    "Duplicate of",
    "Suggestions",
    "Custom",
    "Completed on",
)
_CHUNK = 5000


def export_row(record: Mapping[str, Any]) -> list[Any]:
    """The export cells of one completed entry, in `COLUMNS` order."""
    status = Status(record["status"])
    return [
        record["index"],
        record["input_data"],
        classify(status).value,
        status.value,
        record["email_address"] or "",
        record["local_part"] or "",
        record["domain_part"] or "",
        record["ascii_domain_part"] or "",
        record["has_international_mailbox_name"],
        record["has_international_domain_name"],
        record["is_disposable"],
        record["is_free"],
        record["is_role"],
        "" if record["syntax_failure_index"] is None else record["syntax_failure_index"],
        "" if record["duplicate_of"] is None else record["duplicate_of"],
        " ".join(record["suggestions"] or ()),
        record["custom"] or "",
        iso_datetime(record["completed_on"]),
    ]


@dataclass(frozen=True, slots=True)
class ExportSelection:
    """What an export holds: status filters, an optional row limit, and whether evidence columns."""

    include: Collection[str] | None = None
    exclude: Collection[str] | None = None
    limit: int | None = None
    with_evidence: bool = False

    @property
    def columns(self) -> tuple[str, ...]:
        """The header row."""
        return (*COLUMNS, *EVIDENCE_COLUMNS) if self.with_evidence else COLUMNS

    def row(self, record: Mapping[str, Any]) -> list[Any]:
        """The cells of one entry, in `columns` order."""
        cells = export_row(record)
        return [*cells, *evidence_cells(record["evidence"])] if self.with_evidence else cells

    def pick(self, rows: Iterable[Mapping[str, Any]], taken: int) -> list[Mapping[str, Any]]:
        """The rows to export from one chunk, `taken` rows having been exported before it."""
        picked = [
            row
            for row in rows
            if row["status"] is not None
            and (self.include is None or row["status"] in self.include)
            and (self.exclude is None or row["status"] not in self.exclude)
        ]
        return picked if self.limit is None else picked[: max(self.limit - taken, 0)]


async def export_csv(
    request: web.Request, pool: Pool[Any], job_id: uuid.UUID, selection: ExportSelection
) -> web.StreamResponse:
    """Stream the selected completed entries as CSV with a header row (pending ones are left out)."""
    response = web.StreamResponse(
        headers={
            "Content-Type": f"{TEXT_CSV}; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{job_id}.csv"',
        }
    )
    await response.prepare(request)
    buffer = io.StringIO()
    # RFC 4180 §2: CRLF line breaks, fields with separators or quotes quoted.
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(selection.columns)
    taken = 0
    async for rows in iter_entries(pool, job_id, _CHUNK):
        picked = selection.pick(rows, taken)
        taken += len(picked)
        writer.writerows(selection.row(row) for row in picked)
        await response.write(buffer.getvalue().encode("utf-8"))
        buffer.seek(0)
        buffer.truncate()
    await response.write_eof()
    return response


async def export_xlsx(pool: Pool[Any], job_id: uuid.UUID, selection: ExportSelection) -> web.Response:
    """Build an .xlsx workbook of the selected completed entries (one sheet, header row first)."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Entries")
    sheet.append(list(selection.columns))
    # Building the rows is CPU work: each chunk is appended in a worker thread, one chunk at a time.
    taken = 0
    async for rows in iter_entries(pool, job_id, _CHUNK):
        picked = selection.pick(rows, taken)
        taken += len(picked)
        await asyncio.to_thread(_append, sheet, selection, picked)
    content = await asyncio.to_thread(_save, workbook)
    return web.Response(
        body=content,
        headers={
            "Content-Type": EXCEL_XLSX,
            "Content-Disposition": f'attachment; filename="{job_id}.xlsx"',
        },
    )


def _append(sheet: Any, selection: ExportSelection, rows: Iterable[Mapping[str, Any]]) -> None:
    for row in rows:
        sheet.append(selection.row(row))


def _save(workbook: Any) -> bytes:
    with tempfile.TemporaryFile() as file:
        workbook.save(file)
        file.seek(0)
        return file.read()
