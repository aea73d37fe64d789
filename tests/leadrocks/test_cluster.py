"""Two real nodes on one database: a 10,000-line list end to end, and identical results on api-1 and api-2."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import asyncpg
import pytest

from tests.leadrocks.conftest import (
    TEST_ENVIRON,
    LeadRocksNode,
    create_app_token,
    upload_form,
    wait_completed,
)
from tests.leadrocks.samples import RESULT, UPLOAD
from tests.mailfarm.farm import MailFarm
from tests.support.cluster import run_cluster


@pytest.fixture
async def nodes(
    database_url: str, pool: asyncpg.Pool[Any], mail_farm: MailFarm
) -> AsyncIterator[list[LeadRocksNode]]:
    """api-1 and api-2 as subprocesses, each with its own HTTP session."""
    environ = {**mail_farm.engine_environ(), **TEST_ENVIRON, "VERIFALIA_SCHEDULER_POLL_SECONDS": "0.05"}
    async with run_cluster(database_url, environ, count=2) as cluster, aiohttp.ClientSession() as session:
        yield [LeadRocksNode(url, session, pool) for url in cluster.urls]


async def submit(node: LeadRocksNode, token: str, content: bytes, email_column: str | None = None) -> int:
    status, _, body = await node.call(
        "POST", "/v1/bulkverify", token, data=upload_form(content, "list.csv", email_column)
    )
    assert status == 200, body
    list_id: int = body["data"]["list_id"]
    return list_id


def expected_status(number: int) -> tuple[str, str]:
    """The address of row `number` of the big list and the status it must end with."""
    if number % 97 == 0:
        return "", "invalid"
    if number % 50 == 0:
        return f"user{number % 1000}@bench-{number % 100:03d}.mailfarm.net", "valid"
    if number % 50 == 1:
        return f"ghost{number}@bench-{number % 100:03d}.mailfarm.net", "invalid"
    if number % 89 == 0:
        return f"broken{number}@@example.org", "invalid"
    return f"person{number}@example.com", "invalid"


async def test_a_10000_line_list_end_to_end_across_nodes(
    nodes: list[LeadRocksNode], pool: asyncpg.Pool[Any]
) -> None:
    api_1, api_2 = nodes
    app = await create_app_token(pool)
    lines = ["row,email,city"] + [
        f"{number},{expected_status(number)[0]},Town {number}" for number in range(10_000)
    ]
    content = ("\n".join(lines) + "\n").encode()
    list_id = await submit(api_1, app.token, content)
    await wait_completed(api_2, list_id, app.token, within=90)

    status, _, body = await api_2.download(list_id, app.token)
    assert status == 200
    assert (await api_1.download(list_id, app.token))[2] == body
    rows = list(csv.reader(io.StringIO(body.decode(), newline="")))
    assert rows[0] == [
        "row",
        "email",
        "city",
        "status",
        "safe_to_send",
        "disposable",
        "free_account",
        "role_account",
    ]
    assert len(rows) == 10_001
    for number, row in enumerate(rows[1:]):
        address, status_text = expected_status(number)
        assert row[:3] == [str(number), address, f"Town {number}"]
        assert row[3] == status_text, row


async def test_results_are_identical_whichever_node_took_the_list(
    nodes: list[LeadRocksNode], pool: asyncpg.Pool[Any]
) -> None:
    app = await create_app_token(pool)
    list_ids = [await submit(node, app.token, UPLOAD, "Work E-mail") for node in nodes]
    for list_id in list_ids:
        for node in nodes:
            await wait_completed(node, list_id, app.token)
            status, _, body = await node.download(list_id, app.token)
            assert (status, body) == (200, RESULT)
