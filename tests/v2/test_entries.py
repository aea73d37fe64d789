"""Entries of a job over HTTP: cursor paging both ways, status filters, CSV and XLSX exports."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl

from tests.v2.conftest import V2Node, entries, problem, submit

ADDRESSES = [
    "alice@postfix.mailfarm.net",
    "nobody@postfix.mailfarm.net",
    "bob@postfix.mailfarm.net",
    "x@nullmx.mailfarm.net",
    "not an address",
    "info@postfix.mailfarm.net",
    "ghost@postfix.mailfarm.net",
    "y@nonexistent.mailfarm.net",
]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def _job(node: V2Node) -> tuple[str, dict[str, Any]]:
    body = await (await submit(node, entries(*ADDRESSES))).json()
    assert body["overview"]["status"] == "Completed"
    return body["overview"]["id"], body


async def _get(node: V2Node, url: str, **headers: str) -> dict[str, Any]:
    async with node.session.get(url, headers={**node.auth, **headers}) as response:
        assert response.status == 200, await response.text()
        assert response.content_type == "application/json"
        page: dict[str, Any] = await response.json()
        return page


async def test_pages_follow_the_cursor_to_the_end(node: V2Node) -> None:
    job_id, first = await _job(node)
    pages = [first["entries"]]
    while pages[-1]["meta"]["isTruncated"]:
        cursor = pages[-1]["meta"]["cursor"]
        pages.append(await _get(node, node.v2(f"/email-validations/{job_id}/entries?cursor={cursor}")))
    assert [len(page["data"]) for page in pages] == [3, 3, 2]
    indexes = [entry["index"] for page in pages for entry in page["data"]]
    assert indexes == list(range(len(ADDRESSES)))
    assert [entry["inputData"] for page in pages for entry in page["data"]] == ADDRESSES


async def test_previous_cursor_pages_backwards_with_literal_or_encoded_colon(node: V2Node) -> None:
    job_id, _ = await _job(node)
    base = node.v2(f"/email-validations/{job_id}/entries")
    last = await _get(node, f"{base}?cursor=" + (await _get(node, f"{base}?limit=5"))["meta"]["cursor"])
    assert [entry["index"] for entry in last["data"]] == [5, 6, 7]
    cursor = last["meta"]["cursor"]
    previous = await _get(node, f"{base}?cursor:prev={cursor}&limit=2")
    assert [entry["index"] for entry in previous["data"]] == [3, 4]
    assert previous["meta"]["isTruncated"] is True
    carried = await _get(node, f"{base}?cursor%3Aprev={previous['meta']['cursor']}")
    assert [entry["index"] for entry in carried["data"]] == [1, 2]
    assert carried["meta"]["isTruncated"] is True
    encoded = await _get(node, f"{base}?cursor%3Aprev={previous['meta']['cursor']}&limit=10")
    assert [entry["index"] for entry in encoded["data"]] == [0, 1, 2]
    assert encoded["meta"]["isTruncated"] is False


async def test_status_filters_are_carried_by_the_cursor(node: V2Node) -> None:
    job_id, _ = await _job(node)
    base = node.v2(f"/email-validations/{job_id}/entries")
    for key in ("status", "status:include", "status%3Ainclude"):
        page = await _get(node, f"{base}?{key}=MailboxDoesNotExist,Success&limit=2")
        assert [entry["index"] for entry in page["data"]] == [0, 1]
        rest = await _get(node, f"{base}?cursor={page['meta']['cursor']}")
        assert [entry["index"] for entry in rest["data"]] == [2, 5]
        assert {entry["status"] for entry in page["data"] + rest["data"]} <= {
            "Success",
            "MailboxDoesNotExist",
        }
    excluded = await _get(node, f"{base}?status:exclude=Success,MailboxDoesNotExist&limit=10")
    assert [entry["index"] for entry in excluded["data"]] == [3, 4, 7]
    assert excluded["meta"]["isTruncated"] is False


async def test_bad_paging_parameters_are_400(node: V2Node) -> None:
    job_id, _ = await _job(node)
    base = node.v2(f"/email-validations/{job_id}/entries")
    for query in (
        "cursor=%%%",
        "cursor=bm90IGpzb24",
        "limit=0",
        "limit=many",
        "status=Fine",
        "cursor=a&cursor:prev=b",
    ):
        async with node.session.get(f"{base}?{query}", headers=node.auth) as response:
            await problem(response, 400)


async def test_entries_of_a_job_in_progress_list_only_completed_ones(start_v2_node: Any) -> None:
    node = await start_v2_node(scheduler_enabled=False)
    created = await (await submit(node, entries("alice@postfix.mailfarm.net"), query="waitTime=0")).json()
    page = await _get(node, node.v2(f"/email-validations/{created['overview']['id']}/entries"))
    assert page == {"meta": {"isTruncated": False}, "data": []}


async def test_csv_export_by_accept_header(node: V2Node) -> None:
    job_id, _ = await _job(node)
    async with node.session.get(
        node.v2(f"/email-validations/{job_id}/entries"), headers={**node.auth, "Accept": "text/csv"}
    ) as response:
        assert response.status == 200
        assert response.content_type == "text/csv"
        text = await response.text()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["Index", "Input data", "Classification", "Status"]
    assert [row[1] for row in rows[1:]] == ADDRESSES
    assert rows[1][2:4] == ["Deliverable", "Success"]
    assert rows[4][3] == "DomainHasNullMx"


async def test_xlsx_export_by_accept_header(node: V2Node) -> None:
    job_id, _ = await _job(node)
    async with node.session.get(
        node.v2(f"/email-validations/{job_id}/entries"), headers={**node.auth, "Accept": XLSX}
    ) as response:
        assert response.status == 200
        assert response.content_type == XLSX
        content = await response.read()
    workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert rows[0][:2] == ("Index", "Input data")
    assert [row[1] for row in rows[1:]] == ADDRESSES
    assert rows[2][3] == "MailboxDoesNotExist"


async def test_legacy_xls_export_is_refused(node: V2Node) -> None:
    job_id, _ = await _job(node)
    async with node.session.get(
        node.v2(f"/email-validations/{job_id}/entries"),
        headers={**node.auth, "Accept": "application/vnd.ms-excel"},
    ) as response:
        await problem(response, 406)
