"""File submissions: a multipart upload (`inputFile` + `settings`) turned into the addresses it lists.

Supported file types, chosen by the `inputFile` part's media type (never by its file name):
- `text/plain`: one address per line;
- `text/csv` (RFC 4180) and `text/tab-separated-values`: the address is in column `column`;
- `application/vnd.openxmlformats-officedocument.spreadsheetml.sheet` (.xlsx): sheet `sheet`, column `column`.
Legacy Excel 97-2003 workbooks (`application/vnd.ms-excel`, .xls) are refused with 415.
Rows `startingRow`..`endingRow` (zero-based, inclusive; `endingRowRow` is an alias of `endingRow`) are read;
blank cells are skipped. Unknown settings keys are ignored.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import openpyxl
import orjson
from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from verifalia_server.api.shared.errors import ApiError

TEXT_PLAIN = "text/plain"
TEXT_CSV = "text/csv"
TEXT_TSV = "text/tab-separated-values"
EXCEL_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXCEL_XLS = "application/vnd.ms-excel"

_ALIASES = {"application/csv": TEXT_CSV, "text/x-csv": TEXT_CSV, "text/tsv": TEXT_TSV}
_SUPPORTED = (TEXT_PLAIN, TEXT_CSV, TEXT_TSV, EXCEL_XLSX)
_CHUNK = 64 * 1024
# What aiohttp raises on a malformed RFC 7578 body: no boundary, a body cut short, a bad part header.
MULTIPART_ERRORS = (AssertionError, ValueError, HttpProcessingError)


class LineEnding(StrEnum):
    """How rows of a text or CSV file end."""

    AUTO = "Auto"
    CRLF = "CrLf"
    CR = "Cr"
    LF = "Lf"


_TERMINATORS = {LineEnding.CRLF: "\r\n", LineEnding.CR: "\r", LineEnding.LF: "\n"}


@dataclass(frozen=True, slots=True)
class FileSettings:
    """Which part of the file holds the addresses."""

    starting_row: int = 0
    ending_row: int | None = None
    column: int = 0
    sheet: int = 0
    line_ending: LineEnding = LineEnding.AUTO
    delimiter: str | None = None


@dataclass(frozen=True, slots=True)
class Upload:
    """A received file submission: the file's bytes, its media type and the parsed `settings` object."""

    content: bytes
    media_type: str
    settings: dict[str, Any]


async def read_upload(request: web.Request, max_bytes: int) -> Upload:
    """Read a `multipart/form-data` submission; 413 when it exceeds `max_bytes`, 400 when malformed."""
    if request.content_length is not None and request.content_length > max_bytes:
        raise _too_large(max_bytes)
    content: bytes | None = None
    media_type = ""
    settings: dict[str, Any] = {}
    received = 0
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                raise ApiError(400, "Bad Request", "Nested multipart bodies are not supported.")
            data = await _read_part(part, max_bytes - received, max_bytes)
            received += len(data)
            if part.name == "inputFile":
                content = data
                media_type = _media_type(part.headers.get("Content-Type", ""))
            elif part.name == "settings":
                settings = _parse_settings(data)
    except MULTIPART_ERRORS as exc:
        reason = exc.message if isinstance(exc, HttpProcessingError) else str(exc)
        raise ApiError(400, "Bad Request", f"The multipart body cannot be read: {reason.strip()}.") from None
    if content is None:
        raise ApiError(400, "Bad Request", "The multipart body has no 'inputFile' part.")
    return Upload(content=content, media_type=media_type, settings=settings)


def extract_addresses(content: bytes, media_type: str, settings: FileSettings, limit: int) -> list[str]:
    """Return the non-blank cells of the selected rows and column, at most `limit` + 1 of them."""
    kind = _ALIASES.get(media_type, media_type)
    if kind == EXCEL_XLS:
        raise ApiError(
            415,
            "Unsupported Media Type",
            "Excel 97-2003 workbooks (.xls) are not supported; save the sheet as .xlsx or CSV instead.",
        )
    if kind == TEXT_PLAIN:
        cells: Iterable[str] = (line for line in _lines(_decode(content), settings.line_ending))
        rows = ([cell] for cell in cells)
        values = _select(rows, settings, column=0)
    elif kind in (TEXT_CSV, TEXT_TSV):
        delimiter = settings.delimiter or ("\t" if kind == TEXT_TSV else ",")
        values = _select(_csv_rows(_decode(content), delimiter, settings.line_ending), settings)
    elif kind == EXCEL_XLSX:
        values = _select(_xlsx_rows(content, settings), settings)
    else:
        supported = ", ".join(_SUPPORTED)
        raise ApiError(
            415,
            "Unsupported Media Type",
            f"The file's media type {media_type or '(none)'!r} is not supported; use one of {supported}.",
        )
    addresses: list[str] = []
    for value in values:
        addresses.append(value)
        if len(addresses) > limit:
            break
    if not addresses:
        raise ApiError(400, "Bad Request", "The file holds no addresses in the selected rows and column.")
    return addresses


def _select(rows: Iterable[list[str]], settings: FileSettings, column: int | None = None) -> Iterator[str]:
    """Yield the stripped, non-blank cell of `column` of each row in the selected range."""
    wanted = settings.column if column is None else column
    for number, row in enumerate(rows):
        if settings.ending_row is not None and number > settings.ending_row:
            return
        if number < settings.starting_row or wanted >= len(row):
            continue
        value = row[wanted].strip()
        if value:
            yield value


def _lines(text: str, line_ending: LineEnding) -> list[str]:
    if line_ending is LineEnding.AUTO:
        return re.split(r"\r\n|\r|\n", text)
    return text.split(_TERMINATORS[line_ending])


def _csv_rows(text: str, delimiter: str, line_ending: LineEnding) -> Iterator[list[str]]:
    # RFC 4180 §2: records, optionally quoted fields; the csv module handles quoting and CRLF/LF/CR itself.
    source: Iterable[str] = (
        io.StringIO(text, newline="") if line_ending is LineEnding.AUTO else _lines(text, line_ending)
    )
    try:
        yield from csv.reader(source, delimiter=delimiter, strict=False)
    except csv.Error as exc:
        raise ApiError(400, "Bad Request", f"The file is not valid delimited text: {exc}.") from None


def _xlsx_rows(content: bytes, settings: FileSettings) -> Iterator[list[str]]:
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ApiError(400, "Bad Request", f"The file is not a readable .xlsx workbook: {exc}.") from None
    try:
        if settings.sheet >= len(workbook.worksheets):
            raise ApiError(
                400,
                "Bad Request",
                f"Sheet {settings.sheet} does not exist: the workbook has {len(workbook.worksheets)}.",
            )
        sheet = workbook.worksheets[settings.sheet]
        last = None if settings.ending_row is None else settings.ending_row + 1
        for row in sheet.iter_rows(max_row=last, max_col=settings.column + 1, values_only=True):
            yield ["" if cell is None else str(cell) for cell in row]
    finally:
        workbook.close()


def _decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ApiError(
            400, "Bad Request", f"The file is not UTF-8 text (invalid byte at offset {exc.start})."
        ) from None


async def _read_part(part: BodyPartReader, budget: int, limit: int) -> bytes:
    """Read one part; 413 naming the body `limit` when the part is larger than the `budget` left of it."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await part.read_chunk(_CHUNK):
        size += len(chunk)
        if size > budget:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _parse_settings(data: bytes) -> dict[str, Any]:
    if not data.strip():
        return {}
    try:
        parsed = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, "Bad Request", f"The 'settings' part is not valid JSON: {exc}.") from None
    if not isinstance(parsed, dict):
        raise ApiError(400, "Bad Request", "The 'settings' part must be a JSON object.")
    return parsed


def _media_type(header: str) -> str:
    return header.split(";", 1)[0].strip().lower()


def _too_large(limit: int) -> ApiError:
    return ApiError(413, "Payload Too Large", f"The request body exceeds the limit of {limit} bytes.")
