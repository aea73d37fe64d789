"""Exports of a job's entries as a file: CSV (RFC 4180) streamed in chunks, or an .xlsx workbook."""

from __future__ import annotations

import asyncio
import csv
import io
import tempfile
import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

import openpyxl
from aiohttp import web

from verifalia_server.api.shared.entry import entry
from verifalia_server.api.shared.files import EXCEL_XLSX, TEXT_CSV
from verifalia_server.api.v2.evidence import EVIDENCE_COLUMNS, evidence_cells
from verifalia_server.store.database import Pool, Row
from verifalia_server.store.entries import StoredEntry, iter_entries, iter_stored_entries

# Each export column and the v2 entry field it shows (`api.shared.entry.entry`).
_COLUMN_FIELDS = (
    ("Index", "index"),
    ("Input data", "inputData"),
    ("Classification", "classification"),
    ("Status", "status"),
    ("Email address", "emailAddress"),
    ("Local part", "emailAddressLocalPart"),
    ("Domain part", "emailAddressDomainPart"),
    ("ASCII domain part", "asciiEmailAddressDomainPart"),
    ("International mailbox", "hasInternationalMailboxName"),
    ("International domain", "hasInternationalDomainName"),
    ("Disposable", "isDisposableEmailAddress"),
    ("Free", "isFreeEmailAddress"),
    ("Role account", "isRoleAccount"),
    ("Syntax failure index", "syntaxFailureIndex"),
    ("Duplicate of", "duplicateOf"),
    ("Suggestions", "suggestions"),
    ("Custom", "custom"),
    ("Completed on", "completedOn"),
)
COLUMNS = tuple(column for column, _ in _COLUMN_FIELDS)
_CHUNK = 5000


def _cell(value: Any) -> Any:
    """A field as a cell: absent or null is empty, a list is its items separated by spaces."""
    if value is None:
        return ""
    return " ".join(value) if isinstance(value, list) else value


def export_row(stored: StoredEntry) -> list[Any]:
    """The export cells of one completed entry, in `COLUMNS` order."""
    body = entry(stored)
    return [_cell(body.get(name)) for _, name in _COLUMN_FIELDS]


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

    def row(self, stored: StoredEntry) -> list[Any]:
        """The cells of one entry, in `columns` order."""
        cells = export_row(stored)
        return [*cells, *evidence_cells(stored.evidence)] if self.with_evidence else cells

    def pick(self, entries: Iterable[StoredEntry], taken: int) -> list[StoredEntry]:
        """The entries to export from one chunk, `taken` entries having been exported before it."""
        picked = [
            stored
            for stored in entries
            if stored.status is not None
            and (self.include is None or stored.status.value in self.include)
            and (self.exclude is None or stored.status.value not in self.exclude)
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
    async for rows in iter_stored_entries(pool, job_id, _CHUNK):
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
        taken += await asyncio.to_thread(_append, sheet, selection, rows, taken)
    content = await asyncio.to_thread(_save, workbook)
    return web.Response(
        body=content,
        headers={
            "Content-Type": EXCEL_XLSX,
            "Content-Disposition": f'attachment; filename="{job_id}.xlsx"',
        },
    )


def _append(sheet: Any, selection: ExportSelection, rows: Iterable[Row], taken: int) -> int:
    """Append the selected entries of one chunk of rows; return how many."""
    picked = selection.pick(map(StoredEntry.from_row, rows), taken)
    for stored in picked:
        sheet.append(selection.row(stored))
    return len(picked)


def _save(workbook: Any) -> bytes:
    with tempfile.TemporaryFile() as file:
        workbook.save(file)
        file.seek(0)
        return file.read()
