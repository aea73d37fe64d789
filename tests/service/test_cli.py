"""The `verifalia-server` commands: accounts management, migrate, and the two-node cluster."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import orjson
import pytest

from tests.service.conftest import basic_auth
from tests.support.cluster import free_port
from verifalia_server.store.accounts import PERMISSIONS
from verifalia_server.store.database import embedded_running, start_embedded, stop_embedded

pytestmark = pytest.mark.timeout(180)

CERTS_DIR = Path(__file__).resolve().parent.parent / "mailfarm" / "certs"


async def run_cli(*args: str, environ: dict[str, str]) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "verifalia_server",
        *args,
        env=environ,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


def cli_environ(**extra: str) -> dict[str, str]:
    environ = {name: value for name, value in os.environ.items() if name != "DATABASE_URL"}
    return {**environ, "VERIFALIA_LOG_LEVEL": "WARNING", **extra}


async def run_json(*args: str, environ: dict[str, str]) -> dict[str, Any]:
    status, stdout, stderr = await run_cli(*args, "--json", environ=environ)
    assert status == 0, stderr
    result: dict[str, Any] = orjson.loads(stdout)
    return result


async def test_accounts_commands_manage_accounts_subaccounts_and_credits(
    database_url: str, pool: asyncpg.Pool[Any]
) -> None:
    environ = cli_environ(DATABASE_URL=database_url)
    created = await run_json(
        "accounts", "create", "--name", "acme", "--credits", "25", "--free-daily", "5", environ=environ
    )
    assert created["name"] == "acme"
    assert created["permissions"] == ["submit", "read", "delete", "credits"]
    assert len(created["token"]) >= 40
    row = await pool.fetchrow(
        "SELECT a.credit_packs, a.free_daily_credits, s.token_hash FROM accounts a"
        " JOIN sub_accounts s ON s.account_id = a.id WHERE s.sid = $1",
        created["sid"],
    )
    assert (row["credit_packs"], row["free_daily_credits"]) == (25, 5)
    assert created["token"].encode() not in bytes(row["token_hash"])

    reader = await run_json(
        "accounts", "subaccount", "create", "--account", str(created["account_id"]), "--permissions", "read",
        environ=environ,
    )  # fmt: skip
    assert reader["permissions"] == ["read"]
    assert await pool.fetchval("SELECT permissions FROM sub_accounts WHERE sid = $1", reader["sid"]) == [
        "read"
    ]

    disabled = await run_json("accounts", "subaccount", "disable", "--sid", reader["sid"], environ=environ)
    assert disabled == {"sid": reader["sid"], "disabled": True}
    assert await pool.fetchval("SELECT disabled FROM sub_accounts WHERE sid = $1", reader["sid"]) is True

    topped = await run_json(
        "accounts",
        "credits",
        "add",
        "--account",
        str(created["account_id"]),
        "--credits",
        "10",
        environ=environ,
    )
    assert topped == {"account_id": created["account_id"], "credits": "35.000"}

    status, _stdout, stderr = await run_cli(
        "accounts", "credits", "add", "--account", "999999", "--credits", "1", environ=environ
    )
    assert status == 1
    assert "no account 999999" in stderr

    status, stdout, stderr = await run_cli("accounts", "create", "--name", "plain", environ=environ)
    assert status == 0, stderr
    assert "name: plain" in stdout.splitlines()
    assert f"permissions: {','.join(PERMISSIONS)}" in stdout.splitlines()


async def test_the_cli_attaches_to_a_running_embedded_database_and_leaves_it_running(tmp_path: Path) -> None:
    environ = cli_environ(VERIFALIA_DATA_DIR=str(tmp_path))
    pgdata = tmp_path / "pgdata"
    await asyncio.to_thread(start_embedded, pgdata)
    try:
        created = await run_json("accounts", "create", "--name", "attached", environ=environ)
        assert created["name"] == "attached"
        assert embedded_running(pgdata.resolve())
    finally:
        await asyncio.to_thread(stop_embedded, pgdata.resolve())

    # With nothing running, the command starts the embedded server and stops it again.
    status, stdout, stderr = await run_cli("migrate", environ=environ)
    assert status == 0, stderr
    assert "applied 0 migration(s)" in stdout
    assert not embedded_running(pgdata.resolve())


async def test_cluster_starts_database_and_two_nodes_creates_a_demo_account_and_stops_on_ctrl_c(
    tmp_path: Path,
) -> None:
    base_port = free_port()
    environ = cli_environ(VERIFALIA_DATA_DIR=str(tmp_path), VERIFALIA_LOG_LEVEL="INFO")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "verifalia_server",
        "cluster",
        "--base-port",
        str(base_port),
        env=environ,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        banner = ""
        while "Auth token" not in banner:
            banner += (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
        sid = re.search(r"Sub-account SID : (\S+)", banner)
        token = re.search(r"Auth token      : (\S+)", banner)
        assert sid is not None
        assert token is not None
        async with aiohttp.ClientSession() as session:
            for port in (base_port, base_port + 1):
                for _ in range(300):
                    try:
                        async with session.get(f"http://127.0.0.1:{port}/health") as response:
                            if response.status == 200:
                                break
                    except aiohttp.ClientError:
                        pass
                    await asyncio.sleep(0.1)
                async with session.get(
                    f"http://127.0.0.1:{port}/v1.4/account-balance", headers=basic_auth(sid[1], token[1])
                ) as response:
                    assert response.status == 200
                    assert (await response.json())["credits"] == 10_000
    finally:
        process.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(process.wait(), 60) == 0
    assert not embedded_running((tmp_path / "pgdata").resolve())


async def test_serve_answers_https_with_the_given_certificate(database_url: str) -> None:
    certs = CERTS_DIR
    port = free_port()
    environ = cli_environ(DATABASE_URL=database_url)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "verifalia_server",
        "serve",
        "--node-id",
        "tls-node",
        "--port",
        str(port),
        "--tls-cert",
        str(certs / "cert.pem"),
        "--tls-key",
        str(certs / "key.pem"),
        env=environ,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=False)) as session:
            for _ in range(300):
                try:
                    async with session.get(f"https://127.0.0.1:{port}/health") as response:
                        assert response.status == 200
                        assert (await response.json())["node"] == "tls-node"
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)
            else:
                raise AssertionError("the TLS node never answered")
    finally:
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0
