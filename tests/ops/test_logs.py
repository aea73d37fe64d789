"""The logs of a real `serve` process: JSON lines, the access log switch and a job's life up to expiry."""

from __future__ import annotations

import asyncio
import os
import re
import sys
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import asyncpg
import orjson
import pytest

from tests.mailfarm.farm import MailFarm
from tests.support.cluster import ClusterNode, run_cluster
from tests.support.database import TestAccount, create_test_account
from tests.support.nodes import basic_auth

pytestmark = pytest.mark.timeout(120)

_FAST = {
    "VERIFALIA_LOG_LEVEL": "INFO",
    "VERIFALIA_SCHEDULER_POLL_SECONDS": "0.05",
    "VERIFALIA_SWEEP_SECONDS": "0.2",
    "VERIFALIA_POOL_MIN_SIZE": "1",
}
_WAIT = 20.0
_HEALTH_ACCESS_LINE = re.compile(
    r"INFO verifalia_server\.access: GET /health 200 \d+B \d+\.\d{3}s client=127\.0\.0\.1"
    r" request_id=[0-9a-f]{16}$"
)
_TEXT_LINE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR|CRITICAL) [\w.]+: ")


async def _wait_for_line(node: ClusterNode, wanted: Callable[[str], bool]) -> list[str]:
    """The node's log lines once one of them is `wanted` (within _WAIT seconds)."""
    deadline = time.monotonic() + _WAIT
    while True:
        lines = node.log_path.read_text(encoding="utf-8").splitlines()
        if any(wanted(line) for line in lines):
            return lines
        assert time.monotonic() < deadline, f"no such line in:\n{node.log_tail()}"
        await asyncio.sleep(0.1)


async def _completed_job(session: aiohttp.ClientSession, node: ClusterNode, account: TestAccount) -> str:
    async with session.post(
        f"{node.url}/v2.6/email-validations?waitTime=10000",
        json={"entries": [{"inputData": "not an address"}, {"inputData": "bob@exim.mailfarm.net"}]},
        headers={**basic_auth(account.sid, account.token), "X-Request-Id": "edge-7f3a.9:1"},
    ) as response:
        assert response.status == 200, await response.text()
        job_id: str = (await response.json())["overview"]["id"]
        return job_id


async def test_json_lines_carry_the_access_fields_and_the_job_life_up_to_expiry(
    database_url: str, pool: asyncpg.Pool[Any], mail_farm: MailFarm
) -> None:
    account = await create_test_account(pool)
    environ = {**mail_farm.engine_environ(), **_FAST, "VERIFALIA_LOG_FORMAT": "json"}
    async with run_cluster(database_url, environ, count=1) as cluster, aiohttp.ClientSession() as session:
        node = cluster.nodes[0]
        job_id = await _completed_job(session, node, account)
        async with session.get(
            f"{node.url}/health", headers={"X-Request-Id": "not a plain token"}
        ) as response:
            assert response.status == 200
        await pool.execute("UPDATE jobs SET expires_at = now() - interval '1 second' WHERE id = $1", job_id)
        await _wait_for_line(node, lambda line: f"job {job_id} expired" in line)
        await _wait_for_line(node, lambda line: '"route":"/health"' in line)

    # The node has stopped: its log is complete, and every line of it is a JSON object.
    lines = node.log_path.read_text(encoding="utf-8").splitlines()
    records: list[dict[str, Any]] = [orjson.loads(line) for line in lines]
    for record in records:
        assert {"time", "level", "logger", "message"} <= set(record)
    access = [record for record in records if record["logger"] == "verifalia_server.access"]
    submitted = next(record for record in access if record["method"] == "POST")
    assert submitted["route"] == "/{version}/email-validations"
    assert (submitted["status"], submitted["request_id"], submitted["client_ip"]) == (
        200,
        "edge-7f3a.9:1",
        "127.0.0.1",
    )
    assert isinstance(submitted["bytes"], int)
    assert submitted["bytes"] > 0
    assert isinstance(submitted["duration"], float)
    assert submitted["level"] == "INFO"
    assert submitted["message"].startswith("POST /{version}/email-validations 200 ")
    health = next(record for record in access if record["route"] == "/health")
    assert re.fullmatch(r"[0-9a-f]{16}", health["request_id"])
    assert not any(job_id in record["message"] or "?" in record["route"] for record in access)

    jobs = [record["message"] for record in records if record["logger"] == "verifalia_server.jobs"]
    assert (
        f"job {job_id} submitted: account {account.account_id}, source verifalia, quality Standard,"
        in jobs[0]
    )
    assert any(
        message.startswith(f"job {job_id} completed: account {account.account_id}") for message in jobs
    )
    assert f"job {job_id} expired: account {account.account_id}, 2 entries deleted" in jobs


@pytest.mark.parametrize("access_log", ["0", "1"])
async def test_the_access_log_can_be_turned_off(
    database_url: str, pool: asyncpg.Pool[Any], mail_farm: MailFarm, access_log: str
) -> None:
    account = await create_test_account(pool)
    environ = {**mail_farm.engine_environ(), **_FAST, "VERIFALIA_ACCESS_LOG": access_log}
    async with run_cluster(database_url, environ, count=1) as cluster, aiohttp.ClientSession() as session:
        node = cluster.nodes[0]
        job_id = await _completed_job(session, node, account)
        for _ in range(3):
            async with session.get(f"{node.url}/health") as response:
                assert response.status == 200
        await _wait_for_line(node, lambda line: f"job {job_id} completed" in line)
        if access_log == "1":
            await _wait_for_line(node, lambda line: "verifalia_server.access: GET /health 200" in line)

    # The node has stopped: its log is complete.
    lines = node.log_path.read_text(encoding="utf-8").splitlines()
    assert any(f"INFO verifalia_server.jobs: job {job_id} completed" in line for line in lines)
    assert all(_TEXT_LINE.match(line) for line in lines if "verifalia_server" in line)
    access = [line for line in lines if " verifalia_server.access: " in line]
    if access_log == "0":
        assert access == []
    else:
        assert any(_HEALTH_ACCESS_LINE.search(line) for line in access)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("VERIFALIA_LOG_FORMAT", "xml", "VERIFALIA_LOG_FORMAT must be text or json, got 'xml'"),
        ("VERIFALIA_ACCESS_LOG", "maybe", "VERIFALIA_ACCESS_LOG must be 0 or 1, got 'maybe'"),
    ],
)
async def test_a_malformed_log_setting_stops_the_node_with_one_line(
    database_url: str, variable: str, value: str, message: str
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "verifalia_server", "serve", "--port", "0",
        env={**os.environ, "DATABASE_URL": database_url, variable: value},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert (process.returncode, stdout) == (2, b"")
    assert stderr.decode().splitlines() == [f"verifalia-server serve: {message}"]
