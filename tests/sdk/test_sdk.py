"""The official `verifalia` npm SDK (tests/sdk/package.json) against a live api-1 + api-2 pair.

Node.js and npm are required: without them these tests fail with a message saying so.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
import pytest_asyncio

from tests.mailfarm.farm import MailFarm
from tests.support.cluster import run_cluster
from tests.support.database import PostgresServer, create_test_account
from tests.support.node_scripts import SDK_DIR, node_executable, run_node_script
from verifalia_server.store.database import create_pool

SCENARIOS = SDK_DIR / "scenarios.js"
PAGE_SIZE = 4
ADDRESSES = [
    "alice@postfix.mailfarm.net",
    "nobody@postfix.mailfarm.net",
    "x@nullmx.mailfarm.net",
    "not-an-address",
    "bob@exim.mailfarm.net",
]
EXPECTED = ["Success", "MailboxDoesNotExist", "DomainHasNullMx", "AtSignNotFound", "Success"]

pytestmark = pytest.mark.asyncio(loop_scope="module")


@dataclass
class SdkTarget:
    """Live nodes and the credentials the SDK scripts use."""

    urls: list[str]
    stopped_url: str
    sid: str
    token: str


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def target(postgres_server: PostgresServer) -> AsyncIterator[SdkTarget]:
    """api-1 and api-2 on a fresh database backed by the mail farm, plus the URL of a stopped node."""
    node_executable()
    name = f"verifalia_sdk_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(postgres_server.admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{postgres_server.template}"')
    finally:
        await admin.close()
    database_url = postgres_server.database_url(name)
    pool = await create_pool(database_url, min_size=1, max_size=2)
    try:
        account = await create_test_account(pool, credits=100_000, free_daily=50)
        async with MailFarm() as farm:
            environ = {**farm.engine_environ(), "VERIFALIA_PAGE_SIZE": str(PAGE_SIZE)}
            async with run_cluster(database_url, environ, count=3) as cluster:
                stopped = cluster.nodes[2]
                stopped.process.terminate()
                await asyncio.to_thread(stopped.process.wait, 10)
                yield SdkTarget(cluster.urls[:2], stopped.url, account.sid, account.token)
    finally:
        await pool.close()
        admin = await asyncpg.connect(postgres_server.admin_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def run_scenario(target: SdkTarget, name: str, *args: Any, base_uris: list[str] | None = None) -> Any:
    """Run one scenario of scenarios.js and return the JSON it prints."""
    environ = {
        "VERIFALIA_BASE_URIS": ",".join(base_uris or target.urls),
        "VERIFALIA_USERNAME": target.sid,
        "VERIFALIA_PASSWORD": target.token,
    }
    arguments = [json.dumps(arg) if isinstance(arg, list) else str(arg) for arg in args]
    return await run_node_script(SCENARIOS, name, *arguments, environ=environ, time_limit=90)


def _statuses(result: dict[str, Any]) -> list[str]:
    return [entry["status"] for entry in result["entries"]]


async def test_submit_with_default_options_waits_for_completion(target: SdkTarget) -> None:
    result = await run_scenario(target, "submitDefault", ADDRESSES)
    assert result["overview"]["status"] == "Completed"
    assert result["overview"]["noOfEntries"] == len(ADDRESSES)
    assert _statuses(result) == EXPECTED
    assert [entry["index"] for entry in result["entries"]] == list(range(len(ADDRESSES)))
    assert all(entry["completedOn"] for entry in result["entries"])


async def test_submit_with_wait_options_polls_until_completion(target: SdkTarget) -> None:
    addresses = [*ADDRESSES, "alice@postfix.mailfarm.net"]
    result = await run_scenario(target, "submitWaitOptions", addresses)
    assert result["overview"]["status"] == "Completed"
    assert result["overview"]["deduplication"] == "Safe"
    assert _statuses(result) == [*EXPECTED, "Duplicate"]
    assert result["entries"][-1]["duplicateOf"] == 0
    assert [entry["custom"] for entry in result["entries"]] == [
        f"row-{index}" for index in range(len(addresses))
    ]


async def test_submit_of_a_csv_file(target: SdkTarget) -> None:
    result = await run_scenario(target, "submitFile", ADDRESSES)
    assert result["overview"]["status"] == "Completed"
    assert result["overview"]["quality"] == "High"
    assert [entry["inputData"] for entry in result["entries"]] == ADDRESSES
    assert _statuses(result) == EXPECTED


async def test_get_returns_the_completed_job(target: SdkTarget) -> None:
    result = await run_scenario(target, "get", ADDRESSES)
    assert result["overview"]["status"] == "Completed"
    assert _statuses(result) == EXPECTED
    assert (await run_scenario(target, "getUnknown", str(uuid.uuid4())))["result"] is None


async def test_a_job_of_several_entry_pages_is_read_whole(target: SdkTarget) -> None:
    addresses = [f"user{number}@bench-{number % 3:03d}.mailfarm.net" for number in range(PAGE_SIZE * 2 + 3)]
    addresses[5] = "nobody@bench-001.mailfarm.net"
    result = await run_scenario(target, "submitDefault", addresses)
    assert [entry["inputData"] for entry in result["entries"]] == addresses
    assert [entry["index"] for entry in result["entries"]] == list(range(len(addresses)))
    assert _statuses(result).count("MailboxDoesNotExist") == 1


async def test_csv_export(target: SdkTarget) -> None:
    result = await run_scenario(target, "exportCsv", ADDRESSES)
    rows = list(csv.reader(io.StringIO(result["csv"])))
    assert rows[0][:4] == ["Index", "Input data", "Classification", "Status"]
    assert [row[1] for row in rows[1:]] == ADDRESSES
    assert [row[3] for row in rows[1:]] == EXPECTED


async def test_delete_then_get_returns_null(target: SdkTarget) -> None:
    result = await run_scenario(target, "delete", ADDRESSES[:1])
    assert result["after"] is None


async def test_list_without_options_terminates(target: SdkTarget) -> None:
    await run_scenario(target, "submitDefault", ADDRESSES[:1])
    result = await run_scenario(target, "list")
    assert result["all"]
    assert result["filtered"] == result["all"]


async def test_balance_and_daily_usage(target: SdkTarget) -> None:
    balance = await run_scenario(target, "balance")
    assert isinstance(balance["creditPacks"], int | float)
    assert balance["freeCredits"] is not None
    assert balance["freeCreditsResetIn"].count(":") == 2
    await run_scenario(target, "submitDefault", ADDRESSES[:1])
    usage = await run_scenario(target, "dailyUsage")
    today = dt.datetime.now(dt.UTC).date().isoformat()
    assert [day["date"] for day in usage] == [today]
    assert usage[0]["freeCredits"] + usage[0]["creditPacks"] > 0


async def test_bearer_authentication(target: SdkTarget) -> None:
    result = await run_scenario(target, "bearer", ADDRESSES)
    assert result["overview"]["status"] == "Completed"
    assert _statuses(result) == EXPECTED
    assert "creditPacks" in result["balance"]


async def test_a_stopped_node_among_the_base_uris_is_skipped(target: SdkTarget) -> None:
    result = await run_scenario(target, "failover", ADDRESSES, base_uris=[target.stopped_url, target.urls[0]])
    assert len(result["balances"]) == 4
    assert result["overview"]["status"] == "Completed"
    assert _statuses(result) == EXPECTED
