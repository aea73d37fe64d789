"""File submissions: plain text, CSV, TSV and XLSX with row/column settings, and the errors of bad files."""

from __future__ import annotations

import io
from typing import Any

import aiohttp
import openpyxl
import orjson
import pytest

from tests.v2.conftest import NodeFactory, RecordingExecutor, V2Node, problem
from verifalia_server.api.shared.errors import ApiError
from verifalia_server.api.shared.files import (
    EXCEL_XLS,
    EXCEL_XLSX,
    TEXT_CSV,
    TEXT_PLAIN,
    TEXT_TSV,
    extract_addresses,
)
from verifalia_server.api.shared.models import UploadSettings, parse_body


def _xlsx(sheets: dict[str, list[list[Any]]]) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _extract(content: bytes, media_type: str, **settings: Any) -> list[str]:
    file_settings = parse_body(UploadSettings, settings).file_settings()
    return extract_addresses(content, media_type, file_settings, 1000)


def test_plain_text_one_address_per_line_with_row_range_and_line_endings() -> None:
    content = "\ufeffa@x.example\r\nb@x.example\n\nc@x.example\rd@x.example\n".encode()
    assert _extract(content, TEXT_PLAIN) == ["a@x.example", "b@x.example", "c@x.example", "d@x.example"]
    assert _extract(content, TEXT_PLAIN, startingRow=1, endingRow=2) == ["b@x.example"]
    assert _extract(content, TEXT_PLAIN, startingRow=1, endingRow=3) == ["b@x.example", "c@x.example"]
    assert _extract(b"a@x.example\rb@x.example", TEXT_PLAIN, lineEnding="Cr") == [
        "a@x.example",
        "b@x.example",
    ]
    assert _extract(b"a@x.example\rb@x.example", TEXT_PLAIN, lineEnding="Lf") == ["a@x.example\rb@x.example"]


def test_csv_column_rows_quoting_and_delimiter() -> None:
    content = (
        b'name,email\r\n"Doe, Jane",jane@x.example\r\nJohn,john@x.example\r\nShort\r\nAnn,ann@x.example\r\n'
    )
    assert _extract(content, TEXT_CSV, column=1, startingRow=1) == [
        "jane@x.example",
        "john@x.example",
        "ann@x.example",
    ]
    assert _extract(content, TEXT_CSV, column=1, startingRow=2, endingRowRow=3) == ["john@x.example"]
    semicolons = b"1;a@x.example\n2;b@x.example\n"
    assert _extract(semicolons, TEXT_CSV, column=1, delimiter=";", lineEnding="Lf") == [
        "a@x.example",
        "b@x.example",
    ]


def test_tsv_uses_tabs() -> None:
    content = b"a@x.example\tAlpha\nb@x.example\tBeta\n"
    assert _extract(content, TEXT_TSV) == ["a@x.example", "b@x.example"]
    assert _extract(content, TEXT_TSV, column=1) == ["Alpha", "Beta"]


def test_xlsx_sheet_column_and_rows() -> None:
    content = _xlsx(
        {
            "Ignored": [["nobody@x.example"]],
            "Contacts": [
                ["Name", "Email"],
                ["Jane", "jane@x.example"],
                ["John", None],
                ["Ann", "ann@x.example"],
            ],
        }
    )
    assert _extract(content, EXCEL_XLSX) == ["nobody@x.example"]
    assert _extract(content, EXCEL_XLSX, sheet=1, column=1, startingRow=1) == [
        "jane@x.example",
        "ann@x.example",
    ]
    assert _extract(content, EXCEL_XLSX, sheet=1, column=1, startingRow=1, endingRow=2) == ["jane@x.example"]


@pytest.mark.parametrize(
    ("content", "media_type", "settings", "status"),
    [
        (b"a@x.example", EXCEL_XLS, {}, 415),
        (b"a@x.example", "application/pdf", {}, 415),
        (b"not a zip", EXCEL_XLSX, {}, 400),
        (_xlsx({"Only": [["a@x.example"]]}), EXCEL_XLSX, {"sheet": 3}, 400),
        (b"\xff\xfe\x00a", TEXT_PLAIN, {}, 400),
        (b"\n\n", TEXT_PLAIN, {}, 400),
        (b"a@x.example", TEXT_CSV, {"delimiter": ";;"}, 400),
        (b"a@x.example", TEXT_PLAIN, {"startingRow": -1}, 400),
        (b"a@x.example", TEXT_PLAIN, {"startingRow": 3, "endingRow": 1}, 400),
        (b"a@x.example", TEXT_PLAIN, {"lineEnding": "Unix"}, 400),
    ],
)
def test_bad_files_and_settings_are_refused(
    content: bytes, media_type: str, settings: dict[str, Any], status: int
) -> None:
    with pytest.raises(ApiError) as raised:
        _extract(content, media_type, **settings)
    assert raised.value.status == status
    assert raised.value.detail


async def _upload(
    node: V2Node,
    content: bytes,
    media_type: str,
    settings: dict[str, Any] | None,
    settings_type: str | None = None,
) -> aiohttp.ClientResponse:
    form = aiohttp.FormData()
    form.add_field("inputFile", content, filename="file", content_type=media_type)
    if settings is not None:
        form.add_field("settings", orjson.dumps(settings).decode(), content_type=settings_type)
    async with node.session.post(
        node.v2("/email-validations?waitTime=10000"), data=form, headers=node.auth
    ) as response:
        await response.read()
        return response


async def _inputs(response: aiohttp.ClientResponse) -> list[str]:
    assert response.status == 200, await response.text()
    body = await response.json()
    return [entry["inputData"] for entry in body["entries"]["data"]]


async def test_each_file_format_is_submitted_over_http(
    start_v2_node: NodeFactory, worker_threads: RecordingExecutor
) -> None:
    node = await start_v2_node({"VERIFALIA_PAGE_SIZE": "50"})
    plain = await _upload(
        node,
        b"alice@postfix.mailfarm.net\nbob@postfix.mailfarm.net\n",
        TEXT_PLAIN,
        {
            "contentType": "text/plain",
            "startingRow": 0,
            "column": 0,
            "lineEnding": "Lf",
            "quality": "Standard",
        },
    )
    assert await _inputs(plain) == ["alice@postfix.mailfarm.net", "bob@postfix.mailfarm.net"]
    csv_response = await _upload(
        node,
        b"email,name\nalice@postfix.mailfarm.net,Alice\nnobody@postfix.mailfarm.net,Nobody\n",
        TEXT_CSV,
        {"startingRow": 1, "deduplication": "Safe", "name": "from csv"},
        settings_type="application/json",
    )
    assert await _inputs(csv_response) == ["alice@postfix.mailfarm.net", "nobody@postfix.mailfarm.net"]
    assert (await csv_response.json())["overview"]["name"] == "from csv"
    tsv = await _upload(node, b"x\talice@postfix.mailfarm.net\n", TEXT_TSV, {"column": 1})
    assert await _inputs(tsv) == ["alice@postfix.mailfarm.net"]
    xlsx = await _upload(
        node,
        _xlsx({"S": [["header"], ["alice@postfix.mailfarm.net"], ["bob@postfix.mailfarm.net"], ["skip@x"]]}),
        EXCEL_XLSX,
        {"startingRow": 1, "endingRowRow": 2},
    )
    assert await _inputs(xlsx) == ["alice@postfix.mailfarm.net", "bob@postfix.mailfarm.net"]
    without_settings = await _upload(node, b"alice@postfix.mailfarm.net", TEXT_PLAIN, None)
    assert await _inputs(without_settings) == ["alice@postfix.mailfarm.net"]
    assert worker_threads.ran.count("extract_addresses") == 5


async def test_bad_uploads_are_problems(start_v2_node: NodeFactory) -> None:
    node = await start_v2_node(max_body_bytes=2048)
    await problem(await _upload(node, b"a@b.example", EXCEL_XLS, {}), 415)
    await problem(await _upload(node, b"a@b.example", TEXT_PLAIN, {"startingRow": "one"}), 400)
    await problem(await _upload(node, b"a@b.example\n" * 400, TEXT_PLAIN, {}), 413)
    form = aiohttp.FormData()
    form.add_field("settings", orjson.dumps({"name": "n" * 1000}).decode())
    form.add_field("inputFile", b"a@b.example\n" * 100, filename="file", content_type=TEXT_PLAIN)
    async with node.session.post(
        node.v2("/email-validations"), data=form, headers=node.auth, chunked=True
    ) as response:
        assert response.request_info.headers["Transfer-Encoding"] == "chunked"
        body = await problem(response, 413)
        assert body["detail"] == "The request body exceeds the limit of 2048 bytes."
    form = aiohttp.FormData()
    form.add_field("settings", "{}")
    form.add_field("other", "x")
    async with node.session.post(node.v2("/email-validations"), data=form, headers=node.auth) as response:
        await problem(response, 400)
    form = aiohttp.FormData()
    form.add_field("inputFile", b"a@b.example", filename="file", content_type=TEXT_PLAIN)
    form.add_field("settings", "[not json")
    async with node.session.post(node.v2("/email-validations"), data=form, headers=node.auth) as response:
        await problem(response, 400)
