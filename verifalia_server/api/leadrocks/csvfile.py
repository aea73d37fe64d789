"""Bulk list files: reading an uploaded CSV (RFC 4180) and writing it back with the result columns.

A list is at most 10 MB and 10,000 data rows (the header row and blank lines are not counted). It is
UTF-8, with or without a byte order mark, or else Windows-1252; fields are separated by commas, or by the
semicolons, tabs or bars its header line uses instead. The email column is found by name, ignoring case
and surrounding blanks. The result file is written in UTF-8 with the upload's delimiter, line endings
and byte order mark.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

from verifalia_server.api.leadrocks.codes import ErrorCode
from verifalia_server.api.leadrocks.results import RESULT_COLUMNS, LeadRocksVerdict

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS = 10_000
DEFAULT_EMAIL_COLUMN = "email"

_UTF8_BOM = b"\xef\xbb\xbf"
_DELIMITERS = (",", ";", "\t", "|")


class CsvRejected(Exception):
    """The upload cannot be taken as a bulk list; `code` says why."""

    def __init__(self, code: ErrorCode) -> None:
        super().__init__(code.name)
        self.code = code


@dataclass(frozen=True, slots=True)
class CsvDialect:
    """How the uploaded file was written, so the result file is written the same way."""

    delimiter: str
    line_terminator: str
    byte_order_mark: bool


@dataclass(frozen=True, slots=True)
class CsvTable:
    """A parsed bulk list: the header row, the data rows and where the email addresses are."""

    header: list[str]
    rows: list[list[str]]
    email_index: int
    dialect: CsvDialect

    def email_of(self, row: Sequence[str]) -> str:
        """The row's email cell without surrounding blanks ("" when the row is too short)."""
        return row[self.email_index].strip() if self.email_index < len(row) else ""

    def emails(self) -> list[str]:
        """The non-empty email cells, in row order: entry N of the list's job is the Nth of these."""
        return [email for email in map(self.email_of, self.rows) if email]


def is_csv_filename(filename: str | None) -> bool:
    """Whether an uploaded file's name has the `.csv` extension (any case)."""
    return filename is not None and filename.strip().lower().endswith(".csv")


def _decode(data: bytes) -> tuple[str, bool]:
    """Decode UTF-8 (with or without a byte order mark), falling back to Windows-1252."""
    has_bom = data.startswith(_UTF8_BOM)
    body = data[len(_UTF8_BOM) :] if has_bom else data
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = body.decode("cp1252")
        except UnicodeDecodeError:
            raise CsvRejected(ErrorCode.INVALID_FILE) from None
    if "\x00" in text:
        raise CsvRejected(ErrorCode.INVALID_FILE)
    return text, has_bom


def _sniff(text: str, has_bom: bool) -> CsvDialect:
    """Pick the delimiter most used on the first line, and the file's line terminator."""
    first_line = text.split("\n", 1)[0]
    delimiter = max(_DELIMITERS, key=first_line.count)
    if first_line.count(delimiter) == 0:
        delimiter = ","
    terminator = "\r\n" if "\r\n" in text else "\n"
    return CsvDialect(delimiter=delimiter, line_terminator=terminator, byte_order_mark=has_bom)


def parse_csv(data: bytes, email_column: str | None) -> CsvTable:
    """Parse an uploaded bulk list; raise CsvRejected with the matching error code when it cannot be used."""
    if len(data) > MAX_FILE_BYTES:
        raise CsvRejected(ErrorCode.FILE_TOO_BIG)
    text, has_bom = _decode(data)
    dialect = _sniff(text, has_bom)
    # RFC 4180 §2: records end at CRLF (LF alone is accepted too); quoted fields may span lines.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=dialect.delimiter)
    records: list[list[str]] = []
    try:
        for record in reader:
            if not record:
                continue
            records.append(record)
            if len(records) > MAX_ROWS + 1:
                raise CsvRejected(ErrorCode.FILE_TOO_BIG)
    except csv.Error:
        raise CsvRejected(ErrorCode.INVALID_FILE) from None
    if not records:
        raise CsvRejected(ErrorCode.NO_ROWS)
    header, rows = records[0], records[1:]
    wanted = (email_column or "").strip().casefold() or DEFAULT_EMAIL_COLUMN
    matches = [index for index, name in enumerate(header) if name.strip().casefold() == wanted]
    if not matches:
        raise CsvRejected(ErrorCode.NO_EMAIL_COLUMN)
    table = CsvTable(header=header, rows=rows, email_index=matches[0], dialect=dialect)
    if not table.emails():
        raise CsvRejected(ErrorCode.NO_ROWS)
    return table


def render_results(table: CsvTable, verdicts: Sequence[LeadRocksVerdict]) -> bytes:
    """Write every original row, in order, followed by its five result columns (one verdict per row)."""
    width = max([len(table.header), *(len(row) for row in table.rows)])
    buffer = io.StringIO(newline="")
    writer = csv.writer(
        buffer, delimiter=table.dialect.delimiter, lineterminator=table.dialect.line_terminator
    )
    writer.writerow([*table.header, *[""] * (width - len(table.header)), *RESULT_COLUMNS])
    for row, verdict in zip(table.rows, verdicts, strict=True):
        writer.writerow([*row, *[""] * (width - len(row)), *verdict.columns()])
    encoded = buffer.getvalue().encode("utf-8")
    return _UTF8_BOM + encoded if table.dialect.byte_order_mark else encoded
