"""`/v1/bulkverify`: upload, progress and download through HTTP on a live node, and every bulk error."""

from __future__ import annotations

from typing import Any

import aiohttp
import asyncpg

from tests.leadrocks.conftest import (
    AppToken,
    LeadRocksNode,
    NodeFactory,
    create_app_token,
    failed,
    upload_form,
    wait_completed,
)
from tests.leadrocks.samples import RESULT, UPLOAD
from verifalia_server.store import apps

FILE_TOO_BIG = failed(104, "File size cannot exceed 10 MB or 10,000 lines")
INVALID_FILE = failed(105, "File contains incorrect content or has an extension that differs from .csv")
NO_EMAIL_COLUMN = failed(
    106,
    'File does not contain a column named "email" and request does not specify another column with '
    'email addresses "email_column=COLUMN_NAME"',
)
NO_ROWS = failed(107, "File does not contain any rows for validation")
INVALID_LIST_ID = failed(108, "Invalid param list_id")


async def submit(
    node: LeadRocksNode,
    token: str,
    content: bytes,
    file_name: str = "list.csv",
    email_column: str | None = None,
) -> tuple[int, Any]:
    status, _, body = await node.call(
        "POST", "/v1/bulkverify", token, data=upload_form(content, file_name, email_column)
    )
    return status, body


async def credits_of(node: LeadRocksNode, token: str) -> int:
    credits: int = (await node.call("GET", "/v1/getcredits", token))[2]["data"]["credits"]
    return credits


async def assert_nothing_stored(node: LeadRocksNode, token: str, credits: int) -> None:
    """No job and no list exist, and the balance is still `credits`."""
    assert await node.pool.fetchval("SELECT count(*) FROM jobs") == 0
    assert await node.pool.fetchval("SELECT count(*) FROM leadrocks_lists") == 0
    assert await credits_of(node, token) == credits


async def test_a_list_comes_back_with_every_row_and_column_and_its_results(
    node: LeadRocksNode, app_token: AppToken
) -> None:
    status, body = await submit(node, app_token.token, UPLOAD, "contacts-2024.csv", "work e-mail")
    assert status == 200, body
    list_id = body["data"]["list_id"]
    assert isinstance(list_id, int)
    assert len(str(list_id)) == 16
    assert body == {"status": "success", "data": {"list_id": list_id}}

    seen = await wait_completed(node, list_id, app_token.token)
    assert seen[-1] == "completed"
    status, _, progress = await node.call("GET", f"/v1/bulkverify/{list_id}", app_token.token)
    assert progress == {"status": "success", "data": {"list_id": list_id, "progress_status": "completed"}}

    status, headers, content = await node.download(list_id, app_token.token)
    assert status == 200
    assert headers["Content-Type"] == "text/csv; charset=utf-8"
    assert headers["Content-Disposition"] == 'attachment; filename="contacts-2024-results.csv"'
    assert content == RESULT
    # Six non-empty addresses, one of them a duplicate: five credits.
    assert await credits_of(node, app_token.token) == 1_000_000 - 5


async def test_progress_goes_from_queued_through_in_progress_to_completed(
    node: LeadRocksNode, app_token: AppToken
) -> None:
    # The greylisted address is retried after the other one is done, so the list is in progress meanwhile.
    content = b"email\nalice@postfix.mailfarm.net\nalice@greylist.mailfarm.net\n"
    status, body = await submit(node, app_token.token, content)
    assert status == 200, body
    seen = await wait_completed(node, body["data"]["list_id"], app_token.token)
    assert seen in (["queued", "in_progress", "completed"], ["in_progress", "completed"])


async def test_a_list_stays_queued_and_cannot_be_downloaded_before_it_completes(
    start_node: NodeFactory, app_token: AppToken
) -> None:
    node = await start_node(scheduler_enabled=False)
    _, body = await submit(node, app_token.token, b"email\nalice@postfix.mailfarm.net\n")
    list_id = body["data"]["list_id"]
    status, _, progress = await node.call("GET", f"/v1/bulkverify/{list_id}", app_token.token)
    assert (status, progress["data"]["progress_status"]) == (200, "queued")
    status, headers, content = await node.download(list_id, app_token.token)
    assert status == 400
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert content == b'{"status":"failed","error":{"code":108,"message":"Invalid param list_id"}}'


async def test_duplicate_rows_do_not_make_a_list_in_progress(
    start_node: NodeFactory, app_token: AppToken
) -> None:
    node = await start_node(scheduler_enabled=False)
    # The second row duplicates the first: it is settled on upload, yet nothing has been verified.
    content = b"email\nalice@postfix.mailfarm.net\nalice@postfix.mailfarm.net\n"
    _, body = await submit(node, app_token.token, content)
    list_id = body["data"]["list_id"]
    status, _, progress = await node.call("GET", f"/v1/bulkverify/{list_id}", app_token.token)
    assert (status, progress["data"]["progress_status"]) == (200, "queued")


async def test_progress_polls_do_not_read_the_uploaded_file(
    start_node: NodeFactory, pool: asyncpg.Pool[Any], app_token: AppToken
) -> None:
    node = await start_node(scheduler_enabled=False)
    _, body = await submit(node, app_token.token, b"email\nalice@postfix.mailfarm.net\n")
    list_id = body["data"]["list_id"]
    # With the file's column out of reach, progress still answers; only the download needs the file.
    await pool.execute("ALTER TABLE leadrocks_lists RENAME COLUMN content TO content_moved")
    status, _, progress = await node.call("GET", f"/v1/bulkverify/{list_id}", app_token.token)
    assert (status, progress) == (
        200,
        {"status": "success", "data": {"list_id": list_id, "progress_status": "queued"}},
    )
    assert (await node.download(list_id, app_token.token))[0] == 500


async def test_unusable_uploads_are_rejected(node: LeadRocksNode, app_token: AppToken) -> None:
    token = app_token.token
    cases = [
        (b"email\na@example.org\n", "list.txt", None, INVALID_FILE),
        (b"email\na@example.org\n", "list.xlsx", None, INVALID_FILE),
        (b"email\n\x00\x01\x02\x81\x8d", "list.csv", None, INVALID_FILE),
        # a row over the entry length cap (VERIFALIA_MAX_ENTRY_LENGTH, 1024 by default)
        (b"email\n" + b"a" * 1100 + b"@example.org\n", "list.csv", None, INVALID_FILE),
        (b"name,mail\nx,a@example.org\n", "list.csv", None, NO_EMAIL_COLUMN),
        (b"email,name\na@example.org,x\n", "list.csv", "mail", NO_EMAIL_COLUMN),
        (b"email,name\n", "list.csv", None, NO_ROWS),
        (b"email,name\n,x\n", "list.csv", None, NO_ROWS),
        (b"", "list.csv", None, NO_ROWS),
    ]
    for content, file_name, column, expected in cases:
        assert await submit(node, token, content, file_name, column) == (400, expected), (content, file_name)
    assert await credits_of(node, token) == 1_000_000


async def test_a_body_without_a_csv_file_part_is_rejected(node: LeadRocksNode, app_token: AppToken) -> None:
    status, _, body = await node.call("POST", "/v1/bulkverify", app_token.token, json={"file": "a.csv"})
    assert (status, body) == (400, INVALID_FILE)
    form = aiohttp.FormData()
    form.add_field("email_column", "email")
    form.add_field("attachment", b"email\na@example.org\n", filename="a.csv")
    status, _, body = await node.call("POST", "/v1/bulkverify", app_token.token, data=form)
    assert (status, body) == (400, INVALID_FILE)


async def test_files_over_10_mb_or_10000_rows_are_rejected(node: LeadRocksNode, app_token: AppToken) -> None:
    big = b"email,padding\na@example.org," + b"x" * (10 * 1024 * 1024) + b"\n"
    assert await submit(node, app_token.token, big) == (400, FILE_TOO_BIG)
    rows = b"".join(b"user%d@example.org\n" % number for number in range(10_001))
    assert await submit(node, app_token.token, b"email\n" + rows) == (400, FILE_TOO_BIG)
    status, body = await submit(node, app_token.token, b"email\n" + rows.split(b"\n", 1)[1])
    assert status == 200, body


async def test_unknown_malformed_and_other_accounts_list_ids(
    node: LeadRocksNode, pool: asyncpg.Pool[Any], app_token: AppToken
) -> None:
    other = await create_app_token(pool)
    _, body = await submit(node, other.token, b"email\nalice@postfix.mailfarm.net\n")
    list_id = body["data"]["list_id"]
    for path in (str(list_id), "5618983940663962", "123", "abc", "56189839406639620"):
        for suffix in ("", "/download"):
            status, _, answer = await node.call("GET", f"/v1/bulkverify/{path}{suffix}", app_token.token)
            assert (status, answer) == (404, INVALID_LIST_ID), path


async def test_concurrent_bulk_lists_are_limited_per_app(
    start_node: NodeFactory, pool: asyncpg.Pool[Any]
) -> None:
    node = await start_node(scheduler_enabled=False)
    app = await create_app_token(pool, limits=apps.AppLimits(max_concurrent_lists=1))
    assert (await submit(node, app.token, b"email\nalice@postfix.mailfarm.net\n"))[0] == 200
    assert await submit(node, app.token, b"email\nbob@postfix.mailfarm.net\n") == (
        403,
        failed(109, "You have reached the maximum number of bulk verify requests"),
    )
    _, second_token = await apps.create_app(pool, app.account_id, "second app")
    assert (await submit(node, second_token, b"email\nbob@postfix.mailfarm.net\n"))[0] == 200


async def test_default_concurrent_lists_limit_comes_from_the_environment(
    start_node: NodeFactory, app_token: AppToken
) -> None:
    node = await start_node(scheduler_enabled=False, MAX_CONCURRENT_LISTS="2")
    for expected in (200, 200, 403):
        assert (await submit(node, app_token.token, b"email\nalice@postfix.mailfarm.net\n"))[0] == expected


async def test_a_list_the_balance_cannot_cover_is_refused_and_stores_nothing(
    node: LeadRocksNode, pool: asyncpg.Pool[Any]
) -> None:
    app = await create_app_token(pool, credits=1)
    content = b"email\nalice@postfix.mailfarm.net\nbob@postfix.mailfarm.net\n"
    assert await submit(node, app.token, content) == (
        403,
        failed(103, "You have exhausted your credits, please add additional credits to continue"),
    )
    await assert_nothing_stored(node, app.token, credits=1)


async def test_a_list_that_cannot_be_stored_leaves_no_job_and_no_charge(
    node: LeadRocksNode, pool: asyncpg.Pool[Any]
) -> None:
    app = await create_app_token(pool, credits=10)
    # The database refuses the list record, a failure after the job has been created and charged.
    await pool.execute(
        "CREATE FUNCTION refuse_list() RETURNS trigger LANGUAGE plpgsql"
        " AS $$ BEGIN RAISE EXCEPTION 'list refused'; END; $$"
    )
    await pool.execute(
        "CREATE TRIGGER refuse_list BEFORE INSERT ON leadrocks_lists"
        " FOR EACH ROW EXECUTE FUNCTION refuse_list()"
    )
    content = b"email\nalice@postfix.mailfarm.net\n"
    assert await submit(node, app.token, content) == (
        500,
        failed(102, "Internal server error, try again later"),
    )
    await assert_nothing_stored(node, app.token, credits=10)

    await pool.execute("DROP TRIGGER refuse_list ON leadrocks_lists")
    status, body = await submit(node, app.token, content)
    assert status == 200, body
    assert await pool.fetchval("SELECT count(*) FROM jobs") == 1
    assert await credits_of(node, app.token) == 9
