"""A 100,000-entry job end to end: submission, processing by the scheduler, and the streamed snapshot."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import asyncpg
import orjson
import pytest

from tests.service.conftest import NodeFactory
from tests.support.database import TestAccount

pytestmark = pytest.mark.timeout(180)

ENTRIES = 100_000


def inputs() -> list[str]:
    """Addresses decided without the network: special-use domains and syntax failures."""
    return [
        f"user{index}@example.com" if index % 10 else f"broken{index}@@example.com"
        for index in range(ENTRIES)
    ]


async def test_a_100000_entry_job_end_to_end(
    start_node: NodeFactory, account: TestAccount, pool: asyncpg.Pool[Any]
) -> None:
    node = await start_node(batch_size=2000, batches_in_flight=2)
    body = orjson.dumps({"entries": [{"inputData": text} for text in inputs()]})
    started = time.monotonic()
    async with node.session.post(
        f"{node.url}/v1.4/email-validations",
        data=body,
        headers={**node.auth(account), "Content-Type": "application/json"},
    ) as response:
        assert response.status == 202
        job_url = response.headers["Location"]
    assert time.monotonic() - started < 10

    job_id = job_url.rsplit("/", 1)[1]
    for _ in range(1800):
        if await pool.fetchval("SELECT status FROM jobs WHERE id = $1::uuid", job_id) == "Completed":
            break
        await asyncio.sleep(0.1)
    async with node.session.get(job_url, headers=node.auth(account)) as response:
        assert response.status == 200
        assert response.headers.get("Transfer-Encoding") == "chunked"
        snapshot = orjson.loads(await response.read())
    entries = snapshot["entries"]
    assert len(entries) == ENTRIES
    assert snapshot["progress"] == {"noOfTotalEntries": ENTRIES, "noOfCompletedEntries": ENTRIES}
    assert entries[1]["inputData"] == "user1@example.com"
    assert entries[1]["status"] == "DomainDoesNotExist"
    assert entries[0]["isSyntaxFailure"] is True
    assert entries[-1]["inputData"] == f"user{ENTRIES - 1}@example.com"
    assert sum(1 for entry in entries if entry["isSyntaxFailure"]) == ENTRIES // 10
    assert (
        await pool.fetchval("SELECT credit_packs FROM accounts WHERE id = $1", account.account_id)
        == 1_000_000 - ENTRIES
    )
