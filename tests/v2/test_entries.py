"""Entries of a job over HTTP: cursor paging both ways, status filters, CSV and XLSX exports."""

from __future__ import annotations

import asyncio
import csv
import io
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import asyncpg
import openpyxl

from tests.support.database import TestAccount
from tests.support.jobs import submit_job
from tests.v2.conftest import V2Node, entries, problem, submit
from verifalia_server.api.v2.export import ExportSelection, export_xlsx
from verifalia_server.api.v2.query import encode_cursor
from verifalia_server.engine.statuses import Status
from verifalia_server.engine.verdict import Verdict
from verifalia_server.store.work import EntryResult, JobOutcomes, claim, record_results

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


async def _walk(node: V2Node, base: str, query: str, *moves: str) -> list[tuple[list[int], bool]]:
    """Fetch `base?query`, then follow each move ("cursor" or "cursor:prev", optionally "&limit=N") from the
    page before it; return every page's entry indexes and truncation flag."""
    page = await _get(node, f"{base}?{query}")
    seen = [([entry["index"] for entry in page["data"]], page["meta"]["isTruncated"])]
    for move in moves:
        key, _, extra = move.partition("&")
        page = await _get(node, f"{base}?{key}={page['meta']['cursor']}&{extra}")
        seen.append(([entry["index"] for entry in page["data"]], page["meta"]["isTruncated"]))
    return seen


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
    walked = await _walk(node, base, "limit=5", "cursor", "cursor:prev&limit=2", "cursor%3Aprev")
    assert walked == [([0, 1, 2, 3, 4], True), ([5, 6, 7], False), ([3, 4], True), ([1, 2], True)]
    walked = await _walk(node, base, "limit=5", "cursor", "cursor:prev&limit=2", "cursor%3Aprev&limit=10")
    assert walked[-1] == ([0, 1, 2], False)


async def test_status_filters_are_carried_by_the_cursor(node: V2Node) -> None:
    job_id, _ = await _job(node)
    base = node.v2(f"/email-validations/{job_id}/entries")
    for key in ("status", "status:include", "status%3Ainclude"):
        page = await _get(node, f"{base}?{key}=MailboxDoesNotExist,Success&limit=2")
        rest = await _get(node, f"{base}?cursor={page['meta']['cursor']}")
        entries = page["data"] + rest["data"]
        assert [entry["index"] for entry in entries] == [0, 1, 2, 5]
        assert {entry["status"] for entry in entries} <= {"Success", "MailboxDoesNotExist"}
    excluded = await _walk(node, base, "status:exclude=Success,MailboxDoesNotExist&limit=10")
    assert excluded == [([3, 4, 7], False)]


async def test_previous_cursor_keeps_the_status_filters(node: V2Node) -> None:
    job_id, _ = await _job(node)
    base = node.v2(f"/email-validations/{job_id}/entries")
    included = await _walk(
        node,
        base,
        "status=MailboxDoesNotExist,Success&limit=2",
        "cursor",
        "cursor",
        "cursor:prev",
        "cursor:prev",
    )
    assert included == [([0, 1], True), ([2, 5], True), ([6], False), ([2, 5], True), ([0, 1], False)]
    excluded = await _walk(node, base, "status:exclude=Success&limit=3", "cursor", "cursor:prev")
    assert excluded == [([1, 3, 4], True), ([6, 7], False), ([1, 3, 4], False)]


async def test_crafted_entries_cursors_are_400(node: V2Node) -> None:
    job_id, _ = await _job(node)
    base = node.v2(f"/email-validations/{job_id}/entries")
    valid = {"f": 0, "l": 1, "i": None, "x": None, "n": 2}
    for change in (
        {"l": 2**63 - 1},
        {"l": -1},
        {"n": "2"},
        {"n": True},
        {"i": "Success"},
        {"x": ["NoSuchStatus"]},
    ):
        cursor = encode_cursor({**valid, **change})
        async with node.session.get(f"{base}?cursor={cursor}", headers=node.auth) as response:
            await problem(response, 400)
    huge_page = encode_cursor({**valid, "n": 2**63 - 1})
    async with node.session.get(f"{base}?cursor={huge_page}", headers=node.auth) as response:
        assert response.status == 200
        assert [entry["index"] for entry in (await response.json())["data"]] == list(range(2, len(ADDRESSES)))


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


async def test_entries_and_exports_of_a_job_in_progress_hold_only_completed_ones(start_v2_node: Any) -> None:
    node = await start_v2_node(scheduler_enabled=False)
    created = await (await submit(node, entries("alice@postfix.mailfarm.net"), query="waitTime=0")).json()
    path = node.v2(f"/email-validations/{created['overview']['id']}/entries")
    page = await _get(node, path)
    assert page == {"meta": {"isTruncated": False}, "data": []}
    async with node.session.get(path, headers={**node.auth, "Accept": "text/csv"}) as response:
        assert response.status == 200
        rows = list(csv.reader(io.StringIO(await response.text())))
    assert [row[:2] for row in rows] == [["Index", "Input data"]]


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


async def test_exports_honour_status_filters_and_limit(node: V2Node) -> None:
    job_id, _ = await _job(node)
    base = node.v2(f"/email-validations/{job_id}/entries")
    csv_headers = {**node.auth, "Accept": "text/csv"}
    exported: dict[str, list[str]] = {}
    for query in ("status=Success", "status:exclude=Success", "limit=2", "status:include=Success&limit=1"):
        async with node.session.get(f"{base}?{query}", headers=csv_headers) as response:
            assert response.status == 200, query
            exported[query] = [row[1] for row in list(csv.reader(io.StringIO(await response.text())))[1:]]
    successes = ["alice@postfix.mailfarm.net", "bob@postfix.mailfarm.net", "info@postfix.mailfarm.net"]
    assert exported["status=Success"] == successes
    assert exported["status:exclude=Success"] == [item for item in ADDRESSES if item not in successes]
    assert exported["limit=2"] == ADDRESSES[:2]
    assert exported["status:include=Success&limit=1"] == successes[:1]
    async with node.session.get(
        f"{base}?status=MailboxDoesNotExist", headers={**node.auth, "Accept": XLSX}
    ) as response:
        workbook = openpyxl.load_workbook(io.BytesIO(await response.read()), read_only=True)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))[1:]
    assert [row[1] for row in rows] == ["nobody@postfix.mailfarm.net", "ghost@postfix.mailfarm.net"]


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


async def test_xlsx_rows_are_built_off_the_event_loop(pool: asyncpg.Pool[Any], account: TestAccount) -> None:
    job_id = await submit_job(pool, account, [f"u{index}@example.com" for index in range(5000)])
    claimed = await claim(pool, job_id, "writer", 60, 5000)
    results = [
        EntryResult(item.index, Verdict(item.input_data, Status.DOMAIN_DOES_NOT_EXIST)) for item in claimed
    ]
    await record_results(pool, "writer", {job_id: JobOutcomes(results=results)})
    loop = asyncio.get_running_loop()
    workers = _WitnessExecutor()
    loop.set_default_executor(workers)

    response = await export_xlsx(pool, job_id, ExportSelection())

    assert isinstance(response.body, bytes)
    workbook = openpyxl.load_workbook(io.BytesIO(response.body), read_only=True)
    assert sum(1 for _ in workbook.worksheets[0].iter_rows()) == 5001
    # Every row was appended, and the workbook saved, by a worker thread: the event loop stays free to serve.
    assert workers.threads
    assert threading.get_ident() not in workers.threads
    assert workers.rows_appended_in_workers == 5000


class _WitnessExecutor(ThreadPoolExecutor):
    """A real thread pool that notes which threads ran its work and how many rows its work appended."""

    def __init__(self) -> None:
        super().__init__(max_workers=2)
        self.threads: set[int] = set()
        self.rows_appended_in_workers = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        def witnessed() -> Any:
            self.threads.add(threading.get_ident())
            result = fn(*args, **kwargs)
            if isinstance(result, int):
                self.rows_appended_in_workers += result
            return result

        return super().submit(witnessed)


async def test_legacy_xls_export_is_refused(node: V2Node) -> None:
    job_id, _ = await _job(node)
    async with node.session.get(
        node.v2(f"/email-validations/{job_id}/entries"),
        headers={**node.auth, "Accept": "application/vnd.ms-excel"},
    ) as response:
        await problem(response, 406)
