"""Reading uploaded bulk lists and writing them back with the result columns."""

from __future__ import annotations

import pytest

from verifalia_server.api.leadrocks.codes import ErrorCode
from verifalia_server.api.leadrocks.csvfile import (
    MAX_FILE_BYTES,
    MAX_ROWS,
    CsvRejected,
    is_csv_filename,
    parse_csv,
    render_results,
)
from verifalia_server.api.leadrocks.results import LeadRocksVerdict
from verifalia_server.engine.statuses import Status

VALID = LeadRocksVerdict.of(Status.SUCCESS, disposable=False, free=True, role=False)
INVALID = LeadRocksVerdict.of(Status.MAILBOX_DOES_NOT_EXIST, disposable=False, free=False, role=False)


def rejection(data: bytes, column: str | None = None) -> ErrorCode:
    with pytest.raises(CsvRejected) as caught:
        parse_csv(data, column)
    return caught.value.code


def test_bom_crlf_quoted_fields_and_other_column_round_trip() -> None:
    data = (
        b'\xef\xbb\xbfName,"E-Mail Address",Note\r\n'
        b'"Doe, John",john@example.org,"said ""hi"""\r\n'
        b'Ann,  ann@example.org ,"two\r\nlines"\r\n'
    )
    table = parse_csv(data, "e-mail address")
    assert table.header == ["Name", "E-Mail Address", "Note"]
    assert table.emails() == ["john@example.org", "ann@example.org"]
    assert table.dialect.line_terminator == "\r\n"
    assert table.dialect.byte_order_mark
    assert render_results(table, [VALID, INVALID]) == (
        b"\xef\xbb\xbfName,E-Mail Address,Note,status,safe_to_send,disposable,free_account,role_account\r\n"
        b'"Doe, John",john@example.org,"said ""hi""",valid,yes,no,yes,no\r\n'
        b'Ann,  ann@example.org ,"two\r\nlines",invalid,no,no,no,no\r\n'
    )


def test_default_column_is_matched_case_insensitively_and_short_rows_are_padded() -> None:
    table = parse_csv(b"id;EMAIL;city\n1;a@example.org;Rome\n2\n3;;Oslo\n", None)
    assert table.dialect.delimiter == ";"
    assert table.emails() == ["a@example.org"]
    verdicts = [VALID, LeadRocksVerdict.empty(), LeadRocksVerdict.empty()]
    assert render_results(table, verdicts).decode().splitlines() == [
        "id;EMAIL;city;status;safe_to_send;disposable;free_account;role_account",
        "1;a@example.org;Rome;valid;yes;no;yes;no",
        "2;;;invalid;no;no;no;no",
        "3;;Oslo;invalid;no;no;no;no",
    ]


def test_windows_1252_files_are_read() -> None:
    table = parse_csv("email,name\nzoe@example.org,Zoë\n".encode("cp1252"), None)
    assert table.rows == [["zoe@example.org", "Zoë"]]


def test_blank_lines_are_not_rows() -> None:
    table = parse_csv(b"email\n\na@example.org\n\n", None)
    assert table.rows == [["a@example.org"]]


@pytest.mark.parametrize(
    ("data", "column", "code"),
    [
        (b"name,mail\nx,a@example.org\n", None, ErrorCode.NO_EMAIL_COLUMN),
        (b"email,name\nb@example.org,x\n", "mail", ErrorCode.NO_EMAIL_COLUMN),
        (b"email\n", None, ErrorCode.NO_ROWS),
        (b"", None, ErrorCode.NO_ROWS),
        (b"email,name\n,x\n  ,y\n", None, ErrorCode.NO_ROWS),
        (b"email\n\x00\x01\x02", None, ErrorCode.INVALID_FILE),
        (b"email\n\x81\x8d\x8f", None, ErrorCode.INVALID_FILE),
    ],
)
def test_unusable_files_are_rejected(data: bytes, column: str | None, code: ErrorCode) -> None:
    assert rejection(data, column) is code


def test_row_limit_counts_data_rows() -> None:
    rows = b"".join(b"u%d@example.org\n" % index for index in range(MAX_ROWS))
    assert len(parse_csv(b"email\n" + rows, None).rows) == MAX_ROWS
    assert rejection(b"email\n" + rows + b"one@tooma.ny\n") is ErrorCode.FILE_TOO_BIG


def test_size_limit() -> None:
    data = b"email,padding\na@example.org," + b"x" * (MAX_FILE_BYTES - 28) + b"\n"
    assert len(data) == MAX_FILE_BYTES + 1
    assert rejection(data) is ErrorCode.FILE_TOO_BIG


@pytest.mark.parametrize(
    ("name", "expected"),
    [("list.csv", True), ("LIST.CSV", True), ("list.csv.txt", False), ("list.xlsx", False), (None, False)],
)
def test_only_csv_file_names(name: str | None, expected: bool) -> None:
    assert is_csv_filename(name) is expected
