"""A real node process against a real PostgreSQL server that is frozen (SIGSTOP), or stopped and started.

While the database cannot answer, `/health` answers 503 within its 2 s timeout and API requests answer 503
with `Retry-After` in bounded time; verdicts the engine reached meanwhile are written once it is back, and
no address is probed twice. (kill -9 of a node mid-job: tests/service/test_cluster.py.)
"""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from tests.mailfarm.farm import MailFarm
from tests.robustness.conftest import PostgresProcess
from tests.support.cluster import ClusterNode, run_cluster
from tests.support.database import TestAccount, create_test_account
from verifalia_server.store.database import create_pool

pytestmark = pytest.mark.timeout(120)

BOUNDED_DATABASE = {
    "VERIFALIA_DB_STATEMENT_TIMEOUT": "2",
    "VERIFALIA_DB_ACQUIRE_TIMEOUT": "2",
    "VERIFALIA_POOL_MIN_SIZE": "1",
    "VERIFALIA_SCHEDULER_POLL_SECONDS": "0.05",
}
# acquire (2 s) + statement and the client's margin (2 + 2 s) + release (2 s), and some slack.
API_BOUND_SECONDS = 10.0
HEALTH_BOUND_SECONDS = 3.0
CREDITS = 1000


async def _account(url: str) -> TestAccount:
    pool = await create_pool(url, min_size=1, max_size=1)
    try:
        return await create_test_account(pool, credits=CREDITS)
    finally:
        await pool.close()


async def _timed_get(
    session: aiohttp.ClientSession, url: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], Any, float]:
    started = time.monotonic()
    async with session.get(url, headers=headers) as response:
        body = await response.json(content_type=None)
        return response.status, dict(response.headers), body, time.monotonic() - started


async def _wait_healthy(session: aiohttp.ClientSession, node: ClusterNode, within: float = 20.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        status, _headers, _body, _elapsed = await _timed_get(session, f"{node.url}/health")
        if status == 200:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{node.node_id} not healthy {within} s after the database came back")


async def _assert_unavailable(
    session: aiohttp.ClientSession, node: ClusterNode, auth: dict[str, str]
) -> None:
    """Health and both Verifalia surfaces answer 503 (with Retry-After) within their bounds."""
    status, _headers, body, elapsed = await _timed_get(session, f"{node.url}/health")
    assert (status, body["database"]) == (503, "unavailable")
    assert elapsed < HEALTH_BOUND_SECONDS
    status, headers, body, elapsed = await _timed_get(session, f"{node.url}/v2.6/credits/balance", auth)
    assert (status, body["status"]) == (503, 503)
    assert headers["Content-Type"].startswith("application/problem+json")
    assert int(headers["Retry-After"]) > 0
    assert elapsed < API_BOUND_SECONDS
    status, headers, body, elapsed = await _timed_get(session, f"{node.url}/v1.4/account-balance", auth)
    assert (status, body["status"]) == (503, 503)
    assert "message" in body
    assert int(headers["Retry-After"]) > 0
    assert elapsed < API_BOUND_SECONDS


async def test_a_frozen_database_gets_bounded_answers_and_the_node_recovers(
    own_postgres: PostgresProcess, mail_farm: MailFarm
) -> None:
    account = await _account(own_postgres.url)
    auth = {"Authorization": aiohttp.encode_basic_auth(account.sid, account.token)}
    environ = {**mail_farm.engine_environ(), **BOUNDED_DATABASE}
    async with run_cluster(own_postgres.url, environ, count=1) as cluster, aiohttp.ClientSession() as session:
        (node,) = cluster.nodes
        own_postgres.freeze()
        try:
            await _assert_unavailable(session, node, auth)
            # A second round while still frozen: stalled pings and connections do not pile up.
            await _assert_unavailable(session, node, auth)
        finally:
            own_postgres.thaw()
        await _wait_healthy(session, node)
        status, _headers, body, _elapsed = await _timed_get(session, f"{node.url}/v2.6/credits/balance", auth)
        assert status == 200
        assert Decimal(str(body["creditPacks"])) == CREDITS


def _probes(mail_farm: MailFarm, address: str) -> int:
    """How many times the farm was asked about `address` (RCPT TO)."""
    domain = address.rpartition("@")[2]
    wanted = f"RCPT TO:<{address}>".lower()
    return sum(
        line.lower().startswith(wanted)
        for ip in mail_farm.mx_ips(domain)
        for line in mail_farm.transcript(ip)
    )


async def test_verdicts_reached_while_the_database_is_down_are_written_once_it_is_back(
    own_postgres: PostgresProcess, mail_farm: MailFarm
) -> None:
    account = await _account(own_postgres.url)
    auth = {"Authorization": aiohttp.encode_basic_auth(account.sid, account.token)}
    environ = {**mail_farm.engine_environ(), **BOUNDED_DATABASE, "VERIFALIA_LEASE_SECONDS": "60"}
    addresses = [f"user{index}@bench-001.mailfarm.net" for index in range(12)]
    # Slow replies keep the batch in the engine while the database goes away under it.
    mail_farm.set_latency(0.25)
    watcher = await create_pool(own_postgres.url, min_size=1, max_size=1)
    async with run_cluster(own_postgres.url, environ, count=1) as cluster, aiohttp.ClientSession() as session:
        (node,) = cluster.nodes
        async with session.post(
            f"{node.url}/v2.6/email-validations",
            json={"entries": [{"inputData": address} for address in addresses]},
            headers=auth,
        ) as response:
            assert response.status == 202, await response.text()
            job_id = (await response.json())["overview"]["id"]
        claimed = "SELECT count(*) FROM entries WHERE job_id = $1::uuid AND lease_owner IS NOT NULL"
        for _ in range(500):
            if await watcher.fetchval(claimed, job_id) == len(addresses):
                break
            await asyncio.sleep(0.02)
        await watcher.close()
        await own_postgres.stop()
        await _assert_unavailable(session, node, auth)
        # Let the engine reach every verdict while the database is down.
        for _ in range(400):
            if sum(_probes(mail_farm, address) for address in addresses) == len(addresses):
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)
        await own_postgres.start()
        await _wait_healthy(session, node)
        deadline = time.monotonic() + 30
        while True:
            status, _headers, body, _elapsed = await _timed_get(
                session, f"{node.url}/v2.6/email-validations/{job_id}", auth
            )
            if status == 200:
                break
            assert status == 202, body
            assert time.monotonic() < deadline, "the held verdicts were not written"
            await asyncio.sleep(0.1)
    assert [entry["status"] for entry in body["entries"]["data"]] == ["Success"] * len(addresses)
    assert [_probes(mail_farm, address) for address in addresses] == [1] * len(addresses)
    watcher = await create_pool(own_postgres.url, min_size=1, max_size=1)
    try:
        job = await watcher.fetchrow(
            "SELECT no_of_entries, no_of_completed FROM jobs WHERE id = $1::uuid", job_id
        )
        assert job["no_of_completed"] == job["no_of_entries"] == len(addresses)
        balance = await watcher.fetchval(
            "SELECT credit_packs FROM accounts WHERE id = $1", account.account_id
        )
        assert balance == CREDITS - len(addresses)
    finally:
        await watcher.close()
