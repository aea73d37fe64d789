"""Store behaviour the API surfaces build on: job events, free-credit periods, listings, daily usage."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from tests.support.database import TestAccount, create_test_account
from tests.support.jobs import submit_job
from verifalia_server.api.shared.wire import estimated_remaining_seconds, timespan
from verifalia_server.engine.statuses import Status
from verifalia_server.engine.verdict import Verdict
from verifalia_server.service.submission import Submission, SubmittedEntry, submit
from verifalia_server.settings import ServiceSettings
from verifalia_server.store import credits, jobs
from verifalia_server.store.database import create_pool
from verifalia_server.store.entries import PARSED_ADDRESS_FIELDS, iter_entries
from verifalia_server.store.events import JobEvents
from verifalia_server.store.work import EntryResult, JobOutcomes, Retry, claim, record_results

pytestmark = pytest.mark.timeout(180)


async def new_job(pool: asyncpg.Pool[Any], account: TestAccount, count: int = 1) -> uuid.UUID:
    inputs = [f"u{index}@example.com" for index in range(count)]
    return await submit_job(pool, account, inputs, client_ip="203.0.113.7")


async def finish(pool: asyncpg.Pool[Any], job_id: uuid.UUID) -> None:
    claimed = await claim(pool, job_id, "writer", 60, 1000)
    results = [
        EntryResult(item.index, Verdict(item.input_data, Status.DOMAIN_DOES_NOT_EXIST)) for item in claimed
    ]
    await record_results(pool, "writer", {job_id: JobOutcomes(results=results)})


async def lock_waiters(pool: asyncpg.Pool[Any], count: int) -> None:
    """Wait until `count` sessions of this database are blocked on a lock."""
    for _ in range(250):
        waiting = await pool.fetchval(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        if waiting >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"fewer than {count} sessions blocked on a lock")


@pytest.fixture
async def events(database_url: str, pool: asyncpg.Pool[Any]) -> Any:
    job_events = JobEvents(database_url, pool)
    await job_events.start()
    yield job_events
    await job_events.aclose()


async def test_wait_completed_wakes_on_the_notification_of_another_connection(
    events: JobEvents, pool: asyncpg.Pool[Any], account: TestAccount
) -> None:
    job_id = await new_job(pool, account)
    queue = events.subscribe()
    assert await events.wait_completed(job_id, 0.05) is False
    waiter = asyncio.create_task(events.wait_completed(job_id, 10))
    await asyncio.sleep(0.1)
    assert not waiter.done()
    await finish(pool, job_id)
    assert await asyncio.wait_for(waiter, 5) is True
    assert await asyncio.wait_for(queue.get(), 5) == job_id
    # Already complete: answers at once.
    assert await events.wait_completed(job_id, 0) is True
    events.unsubscribe(queue)


async def test_job_events_reconnect_after_losing_their_connection(
    events: JobEvents, pool: asyncpg.Pool[Any], account: TestAccount
) -> None:
    await pool.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid() AND datname = current_database()"
    )
    queue = events.subscribe()
    job_id = await new_job(pool, account)
    for _ in range(50):
        listening = await pool.fetchval(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE query LIKE 'LISTEN%' AND datname = current_database()"
        )
        if listening:
            break
        await asyncio.sleep(0.1)
    await finish(pool, job_id)
    assert await asyncio.wait_for(queue.get(), 10) == job_id


async def test_free_credits_reset_every_24_hours_from_the_anchor(pool: asyncpg.Pool[Any]) -> None:
    account = await create_test_account(pool, credits=0, free_daily=10)
    async with pool.acquire() as connection, connection.transaction():
        await credits.charge(connection, account.account_id, Decimal(7))
    assert (await credits.get_balance(pool, account.account_id)).free_credits == 3
    async with pool.acquire() as connection, connection.transaction():
        with pytest.raises(credits.InsufficientCredits):
            await credits.charge(connection, account.account_id, Decimal(4))
    await pool.execute(
        "UPDATE accounts SET free_reset_anchor = now() - interval '49 hours',"
        " free_period_start = now() - interval '25 hours' WHERE id = $1",
        account.account_id,
    )
    balance = await credits.get_balance(pool, account.account_id)
    assert balance.free_credits == 10
    assert balance.free_credits_reset_in is not None
    assert dt.timedelta(hours=22) < balance.free_credits_reset_in <= dt.timedelta(hours=23)


async def test_list_jobs_filters_sorts_and_pages(pool: asyncpg.Pool[Any], account: TestAccount) -> None:
    first = await new_job(pool, account)
    second = await new_job(pool, account)
    third = await new_job(pool, account)
    await finish(pool, second)
    other = await create_test_account(pool, name="other")
    await new_job(pool, other)

    everything = await jobs.list_jobs(pool, account.account_id)
    assert [job.id for job in everything] == [first, second, third]
    assert everything[0].client_ip == "203.0.113.7"
    newest_first = await jobs.list_jobs(pool, account.account_id, descending=True, limit=2)
    assert [job.id for job in newest_first] == [third, second]
    cursor = (newest_first[-1].created_on, newest_first[-1].id)
    rest = await jobs.list_jobs(pool, account.account_id, descending=True, after=cursor)
    assert [job.id for job in rest] == [first]
    completed = await jobs.list_jobs(pool, account.account_id, statuses=["Completed"])
    assert [job.id for job in completed] == [second]
    running = await jobs.list_jobs(pool, account.account_id, statuses_exclude=["Completed"])
    assert [job.id for job in running] == [first, third]
    tomorrow = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    assert await jobs.list_jobs(pool, account.account_id, created_since=tomorrow) == []


async def test_daily_usage_records_each_day_charged(pool: asyncpg.Pool[Any], account: TestAccount) -> None:
    await new_job(pool, account, count=3)
    await new_job(pool, account, count=2)
    usage = await credits.daily_usage(pool, account.account_id)
    assert len(usage) == 1
    assert usage[0].day == dt.datetime.now(dt.UTC).date()
    assert (usage[0].credit_packs, usage[0].free_credits) == (Decimal(5), Decimal(0))


async def test_duplicates_are_stored_with_their_parsed_address_and_others_without(
    pool: asyncpg.Pool[Any], account: TestAccount
) -> None:
    inputs = ["josé@bücher.example", "josé@BÜCHER.example", "bob@example.com"]
    job = await submit(
        pool,
        ServiceSettings(),
        account_id=account.account_id,
        owner=account.sid,
        client_ip="127.0.0.1",
        submission=Submission(entries=[SubmittedEntry(text) for text in inputs], deduplication="Safe"),
    )
    rows = await pool.fetch(
        f"SELECT status, duplicate_of, {', '.join(PARSED_ADDRESS_FIELDS)} FROM entries"
        " WHERE job_id = $1 ORDER BY index",
        job.id,
    )
    unparsed = {field: None for field in PARSED_ADDRESS_FIELDS} | {
        "has_international_domain_name": False,
        "has_international_mailbox_name": False,
    }
    assert dict(rows[0]) == {"status": None, "duplicate_of": None, **unparsed}
    assert dict(rows[1]) == {
        "status": "Duplicate",
        "duplicate_of": 0,
        "email_address": "josé@bücher.example",
        "local_part": "josé",
        "domain_part": "bücher.example",
        "ascii_domain_part": "xn--bcher-kva.example",
        "has_international_domain_name": True,
        "has_international_mailbox_name": True,
    }
    assert dict(rows[2]) == {"status": None, "duplicate_of": None, **unparsed}


def test_timespans_are_zero_padded_with_days_only_past_24_hours() -> None:
    assert timespan(0) == "00:00:00"
    assert timespan(12.9) == "00:00:12"
    assert timespan(3 * 3600 + 4 * 60 + 5) == "03:04:05"
    assert timespan(86_400 * 2 + 61) == "2.00:01:01"


def test_remaining_time_follows_the_observed_throughput() -> None:
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    assert estimated_remaining_seconds(100, 0, start, start + dt.timedelta(seconds=5)) is None
    assert estimated_remaining_seconds(100, 25, start, start + dt.timedelta(seconds=10)) == 30


async def test_deleting_a_running_job_while_its_results_are_written_does_not_deadlock(
    pool: asyncpg.Pool[Any], account: TestAccount
) -> None:
    job_id = await new_job(pool, account, 2)
    claimed = await claim(pool, job_id, "writer", 60, 2)
    outcome = JobOutcomes(
        results=[EntryResult(0, Verdict(claimed[0].input_data, Status.DOMAIN_DOES_NOT_EXIST))],
        retries=[Retry(1, 30.0)],
    )
    async with pool.acquire() as blocker:
        blocking = blocker.transaction()
        await blocking.start()
        # Holding entry 1 stops the writer between its result (entry 0) and its retry (entry 1).
        await blocker.execute("SELECT 1 FROM entries WHERE job_id = $1 AND index = 1 FOR UPDATE", job_id)
        writing = asyncio.create_task(record_results(pool, "writer", {job_id: outcome}))
        await lock_waiters(pool, 1)
        deleting = asyncio.create_task(
            jobs.delete_job(pool, account.account_id, job_id, allow_in_progress=True)
        )
        await lock_waiters(pool, 2)
        await blocking.rollback()
    assert await writing == []
    assert await deleting is jobs.DeleteOutcome.DELETED
    assert await pool.fetchval("SELECT count(*) FROM entries WHERE job_id = $1", job_id) == 0


async def test_iterating_entries_holds_no_connection_between_chunks(
    database_url: str, pool: asyncpg.Pool[Any], account: TestAccount
) -> None:
    job_id = await new_job(pool, account, 5)
    single = await create_pool(database_url, min_size=1, max_size=1)
    try:
        chunks: list[list[int]] = []
        async for rows in iter_entries(single, job_id, 2, ("index", "input_data")):
            chunks.append([row["index"] for row in rows])
            # A caller slow to hand the chunk on leaves the pool's only connection free for others.
            assert await asyncio.wait_for(single.fetchval("SELECT 1"), 5) == 1
        assert chunks == [[0, 1], [2, 3], [4]]
        with pytest.raises(ValueError, match="index"):
            await anext(iter_entries(single, job_id, 2, ("input_data",)))
    finally:
        await single.close()


async def test_a_released_connection_keeps_no_transaction_and_sends_no_reset(database_url: str) -> None:
    single = await create_pool(database_url, min_size=1, max_size=1)
    observer = await asyncpg.connect(database_url)
    try:
        async with single.acquire() as connection:
            backend = await connection.fetchval("SELECT pg_backend_pid()")
            # A transaction a caller left open (not managed by `transaction()`) is rolled back on release.
            await connection.execute("BEGIN")
            await connection.execute("CREATE TEMPORARY TABLE scratch (n int) ON COMMIT DROP")
        async with single.acquire() as connection:
            assert await connection.fetchval("SELECT pg_backend_pid()") == backend
            assert not connection.is_in_transaction()
            assert await connection.fetchval("SELECT to_regclass('pg_temp.scratch')") is None
            await connection.execute("SELECT 'last statement'")
        # The pooled session's last statement is the caller's: the release sent no reset query.
        last = await observer.fetchval("SELECT query FROM pg_stat_activity WHERE pid = $1", backend)
        assert last == "SELECT 'last statement'"
    finally:
        await observer.close()
        await single.close()
