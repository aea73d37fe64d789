"""The scheduler on a real database and engine: priority shares, fairness, retries, lease expiry."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import pytest

from tests.mailfarm.farm import MailFarm
from tests.service.conftest import NodeFactory
from tests.support.database import TestAccount, create_test_account
from tests.support.jobs import submit_job
from verifalia_server.engine.statuses import Status
from verifalia_server.engine.verdict import Verdict
from verifalia_server.store.work import EntryResult, JobOutcomes, claim, record_results

pytestmark = pytest.mark.timeout(180)


def offline_inputs(count: int, tag: str) -> list[str]:
    """Addresses the engine decides without the network (RFC 2606 special-use domain)."""
    return [f"{tag}{index}@example.com" for index in range(count)]


async def wait_completed(pool: asyncpg.Pool[Any], *job_ids: uuid.UUID, within: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        statuses = await pool.fetch("SELECT status FROM jobs WHERE id = ANY($1::uuid[])", list(job_ids))
        if all(row["status"] == "Completed" for row in statuses):
            return
        assert loop.time() < deadline, "jobs not completed in time"
        await asyncio.sleep(0.05)


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 30.0) -> None:
    """Poll `check` until it is true."""
    for _ in range(int(within / 0.01)):
        if await check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached in time")


async def test_a_255_job_finishes_well_before_an_equal_0_job_which_still_progresses(
    pool: asyncpg.Pool[Any], account: TestAccount, start_node: NodeFactory
) -> None:
    low = await submit_job(pool, account, offline_inputs(400, "low"), priority=0)
    high = await submit_job(pool, account, offline_inputs(400, "high"), priority=255)
    await start_node(batch_size=20, batches_in_flight=1)
    await wait_completed(pool, low, high)

    high_done = await pool.fetchval("SELECT completed_on FROM jobs WHERE id = $1", high)
    low_done = await pool.fetchval("SELECT completed_on FROM jobs WHERE id = $1", low)
    assert high_done < low_done
    low_progress = await pool.fetchval(
        "SELECT count(*) FROM entries WHERE job_id = $1 AND completed_on <= $2", low, high_done
    )
    assert 0 < low_progress < 100


async def test_one_accounts_huge_job_does_not_stall_another_accounts_small_job(
    pool: asyncpg.Pool[Any], account: TestAccount, start_node: NodeFactory
) -> None:
    await start_node(batch_size=50, batches_in_flight=1)
    huge = await submit_job(pool, account, offline_inputs(3000, "huge"))
    await eventually(lambda: pool.fetchval("SELECT no_of_completed > 0 FROM jobs WHERE id = $1", huge))
    other = await create_test_account(pool, name="small customer")
    small = await submit_job(pool, other, offline_inputs(20, "small"))
    await wait_completed(pool, small)
    assert await pool.fetchval("SELECT status FROM jobs WHERE id = $1", huge) == "InProgress"
    await wait_completed(pool, huge)


async def test_greylisted_entries_are_retried_later_without_holding_a_worker(
    pool: asyncpg.Pool[Any], account: TestAccount, start_node: NodeFactory, mail_farm: MailFarm
) -> None:
    mail_farm.set_greylist_delay(0.1)
    greylisted = await submit_job(pool, account, ["alice@greylist.mailfarm.net"])
    await start_node(batch_size=20, batches_in_flight=1)
    # Wait until the first pass is rescheduled, then show the only worker serves other work meanwhile.
    await eventually(lambda: pool.fetchval("SELECT attempt > 0 FROM entries WHERE job_id = $1", greylisted))
    other = await submit_job(pool, account, offline_inputs(5, "other"))
    await wait_completed(pool, other, greylisted)
    row = await pool.fetchrow("SELECT status, attempt FROM entries WHERE job_id = $1", greylisted)
    assert row["status"] == "Success"
    assert row["attempt"] == 1
    finished = await pool.fetch(
        "SELECT id FROM jobs WHERE id = ANY($1::uuid[]) ORDER BY completed_on", [greylisted, other]
    )
    assert [item["id"] for item in finished] == [other, greylisted]


async def test_entries_of_a_dead_lease_return_to_the_pool_and_get_exactly_one_result(
    pool: asyncpg.Pool[Any], account: TestAccount, start_node: NodeFactory
) -> None:
    job_id = await submit_job(pool, account, offline_inputs(30, "leased"))
    stolen = await claim(pool, job_id, "dead-node", 0.3, 30)
    assert len(stolen) == 30
    await start_node()
    await wait_completed(pool, job_id)

    # The dead node comes back and tries to write: its lease is gone, nothing changes.
    late = JobOutcomes(
        results=[EntryResult(item.index, Verdict(item.input_data, Status.SUCCESS)) for item in stolen]
    )
    assert await record_results(pool, "dead-node", {job_id: late}) == []
    assert await pool.fetchval("SELECT no_of_completed FROM jobs WHERE id = $1", job_id) == 30
    statuses = await pool.fetch("SELECT DISTINCT status FROM entries WHERE job_id = $1", job_id)
    assert [row["status"] for row in statuses] == ["DomainDoesNotExist"]
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM entries WHERE job_id = $1 AND lease_owner IS NOT NULL", job_id
        )
        == 0
    )


async def test_a_batch_slower_than_the_lease_keeps_its_lease_and_is_verified_once(
    pool: asyncpg.Pool[Any], account: TestAccount, start_node: NodeFactory, mail_farm: MailFarm
) -> None:
    mail_farm.set_latency(0.3)
    job_id = await submit_job(pool, account, ["alice@postfix.mailfarm.net"])
    await start_node(lease_seconds=0.6)
    await start_node(lease_seconds=0.6)
    await wait_completed(pool, job_id)
    host = mail_farm.mx_ips("postfix.mailfarm.net")[0]
    recipients = [line for line in mail_farm.transcript(host) if line.upper().startswith("RCPT TO:<ALICE@")]
    assert len(recipients) == 1
    assert await pool.fetchval("SELECT status FROM entries WHERE job_id = $1", job_id) == "Success"
