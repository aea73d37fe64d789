"""`verifalia-server accounts app create|list|disable|enable|limits` against a real database."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from typing import Any

import asyncpg
import orjson

from tests.leadrocks.conftest import LeadRocksNode
from tests.support.database import create_test_account


async def cli(database_url: str, *arguments: str) -> tuple[int, str, str]:
    """Run the command line against the test database; return exit status, stdout and stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "verifalia_server",
        "accounts",
        "app",
        *arguments,
        env={**os.environ, "DATABASE_URL": database_url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    stdout, stderr = await process.communicate()
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


async def cli_json(database_url: str, *arguments: str) -> Any:
    status, stdout, stderr = await cli(database_url, *arguments, "--json")
    assert status == 0, stderr
    return orjson.loads(stdout)


async def test_apps_are_managed_from_the_command_line(
    database_url: str, pool: asyncpg.Pool[Any], node: LeadRocksNode
) -> None:
    account = await create_test_account(pool, credits=25)
    created = await cli_json(
        database_url,
        "create",
        "--account",
        str(account.account_id),
        "--name",
        "crm",
        "--verifies-per-minute",
        "3",
    )
    token = created["token"]
    assert created["name"] == "crm"
    assert created["enabled"] is True
    assert created["verifies_per_minute"] == 3
    status, _, body = await node.call("GET", "/v1/getcredits", f"Bearer {token}")
    assert (status, body) == (200, {"status": "success", "data": {"credits": 25}})

    listing = await cli_json(database_url, "list", "--account", str(account.account_id))
    assert [app["app_id"] for app in listing["apps"]] == [created["app_id"]]
    assert "token" not in listing["apps"][0]

    app_id = str(created["app_id"])
    assert (await cli_json(database_url, "disable", "--app", app_id))["enabled"] is False
    assert (await node.call("GET", "/v1/getcredits", token))[0] == 401
    assert (await cli_json(database_url, "enable", "--app", app_id))["enabled"] is True
    assert (await node.call("GET", "/v1/getcredits", token))[0] == 200
    limited = await cli_json(database_url, "limits", "--app", app_id, "--requests-per-minute", "0")
    assert (limited["requests_per_minute"], limited["verifies_per_minute"]) == (0, None)


async def test_plain_output_and_errors(database_url: str, pool: asyncpg.Pool[Any]) -> None:
    account = await create_test_account(pool)
    status, stdout, _ = await cli(
        database_url, "create", "--account", str(account.account_id), "--name", "site"
    )
    assert status == 0
    assert "token: " in stdout
    assert "name: site" in stdout
    assert "max_concurrent_lists: -" in stdout.splitlines()
    status, stdout, _ = await cli(database_url, "list", "--account", str(account.account_id))
    assert status == 0
    [line] = stdout.splitlines()
    assert line.startswith("app_id: ")
    assert f"  account_id: {account.account_id}  name: site  enabled: True  max_concurrent_lists: -" in line
    status, _, stderr = await cli(database_url, "create", "--account", "999999", "--name", "x")
    assert (status, stderr.strip()) == (1, "error: no account 999999")
    status, _, stderr = await cli(database_url, "disable", "--app", "999999")
    assert (status, stderr.strip()) == (1, "error: no app 999999")
    status, stdout, _ = await cli(database_url, "enable", "--app", "999999", "--json")
    assert (status, orjson.loads(stdout)) == (1, {"error": "no app 999999"})


async def test_an_app_needs_a_name(database_url: str, pool: asyncpg.Pool[Any]) -> None:
    account = await create_test_account(pool)
    for name in ("", "  "):
        status, stdout, stderr = await cli(
            database_url, "create", "--account", str(account.account_id), "--name", name
        )
        assert (status, stdout) == (2, "")
        assert "argument --name: a name must not be empty" in stderr
    assert (
        await pool.fetchval("SELECT count(*) FROM leadrocks_apps WHERE account_id = $1", account.account_id)
        == 0
    )
