"""Two real node processes on one database: shared jobs, and a node killed with -9 in the middle of a job."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import asyncpg
import pytest

from tests.mailfarm.farm import MailFarm
from tests.service.conftest import wait_for_completion
from tests.support.cluster import run_cluster
from tests.support.database import create_test_account

pytestmark = pytest.mark.timeout(180)

FAST_SCHEDULER = {
    "VERIFALIA_SCHEDULER_POLL_SECONDS": "0.05",
    "VERIFALIA_V1_SUBMIT_WAIT": "0",
    "VERIFALIA_POOL_MIN_SIZE": "1",
}


async def test_a_job_submitted_to_api_1_is_read_and_deleted_through_api_2(
    database_url: str, pool: asyncpg.Pool[Any], mail_farm: MailFarm
) -> None:
    account = await create_test_account(pool)
    headers = {"Authorization": aiohttp.encode_basic_auth(account.sid, account.token)}
    environ = {**mail_farm.engine_environ(), **FAST_SCHEDULER}
    async with run_cluster(database_url, environ) as cluster, aiohttp.ClientSession() as session:
        api_1, api_2 = cluster.urls
        async with session.post(
            f"{api_1}/v1.4/email-validations",
            json={
                "entries": [{"inputData": "bob@exim.mailfarm.net"}, {"inputData": "zed@exim.mailfarm.net"}]
            },
            headers=headers,
        ) as response:
            assert response.status == 202
            job_id = (await response.json())["uniqueID"]
        snapshot = await wait_for_completion(session, f"{api_2}/v1.4/email-validations/{job_id}", headers)
        assert [entry["status"] for entry in snapshot["entries"]] == ["Success", "MailboxDoesNotExist"]
        async with session.delete(f"{api_2}/v1.4/email-validations/{job_id}", headers=headers) as response:
            assert response.status == 200
        async with session.get(f"{api_1}/v1.4/email-validations/{job_id}", headers=headers) as response:
            assert response.status == 410
        for url in cluster.urls:
            async with session.get(f"{url}/health") as response:
                assert response.status == 200


async def test_after_kill_9_of_one_node_the_other_finishes_every_entry_once(
    database_url: str, pool: asyncpg.Pool[Any], mail_farm: MailFarm
) -> None:
    account = await create_test_account(pool, credits=1000)
    headers = {"Authorization": aiohttp.encode_basic_auth(account.sid, account.token)}
    environ = {
        **mail_farm.engine_environ(),
        **FAST_SCHEDULER,
        "VERIFALIA_LEASE_SECONDS": "1.5",
        "VERIFALIA_SCHEDULER_BATCH_SIZE": "6",
        "VERIFALIA_SCHEDULER_BATCHES": "2",
    }
    mail_farm.set_latency(0.03)
    # bench domains: user0..user999 exist; user5000+ do not.
    inputs = [
        f"user{index + (5000 if index % 3 == 0 else 0)}@bench-{index % 4:03d}.mailfarm.net"
        for index in range(120)
    ]
    async with run_cluster(database_url, environ) as cluster, aiohttp.ClientSession() as session:
        api_1, api_2 = cluster.nodes
        async with session.post(
            f"{api_1.url}/v1.4/email-validations",
            json={"entries": [{"inputData": text} for text in inputs]},
            headers=headers,
        ) as response:
            assert response.status == 202
            job_id = (await response.json())["uniqueID"]
        for _ in range(600):
            done = await pool.fetchval("SELECT no_of_completed FROM jobs WHERE id = $1::uuid", job_id)
            if done >= 12:
                break
            await asyncio.sleep(0.01)
        cluster.kill(api_1)
        orphaned = await pool.fetchval(
            "SELECT count(*) FROM entries WHERE job_id = $1::uuid AND status IS NULL"
            " AND lease_owner LIKE 'api-1:%'",
            job_id,
        )
        assert orphaned > 0
        snapshot = await wait_for_completion(
            session, f"{api_2.url}/v1.4/email-validations/{job_id}", headers, within=60
        )
    statuses = [entry["status"] for entry in snapshot["entries"]]
    expected = ["MailboxDoesNotExist" if index % 3 == 0 else "Success" for index in range(120)]
    assert statuses == expected
    job = await pool.fetchrow("SELECT no_of_entries, no_of_completed FROM jobs WHERE id = $1::uuid", job_id)
    assert job["no_of_completed"] == job["no_of_entries"] == 120
    assert (
        await pool.fetchval("SELECT count(*) FROM entries WHERE job_id = $1::uuid AND status IS NULL", job_id)
        == 0
    )
    assert await pool.fetchval("SELECT credit_packs FROM accounts WHERE id = $1", account.account_id) == 880
