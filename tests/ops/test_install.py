"""deploy/install.sh end to end: a real PostgreSQL server, two nodes started as the unit starts them, and
a real nginx in front; a job submitted through nginx completes while one node is killed."""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from tests.mailfarm.farm import MailFarm
from tests.ops import wheelhouse
from tests.support.cluster import free_port

pytestmark = pytest.mark.timeout(300)

SERVICE_USER = "verifalia-ops-test"
INSTALL_SCRIPT = wheelhouse.CHECKOUT / "deploy" / "install.sh"
# The test farm's domains: user0..user999 exist at bench-NNN.mailfarm.net, user5000+ do not.
INPUTS = [
    f"user{index + (5000 if index % 3 == 0 else 0)}@bench-{index % 4:03d}.mailfarm.net" for index in range(90)
]


def _two_free_ports() -> int:
    for _ in range(50):
        port = free_port()
        if port < 65535 and _is_free(port + 1):
            return port
    raise AssertionError("no two consecutive free ports")


def _is_free(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.fixture
def root_dir() -> Iterator[Path]:
    """A scratch directory the service user can traverse; the test's user is removed afterwards."""
    if os.geteuid() != 0:
        pytest.fail("the install test runs as root (it creates a service user)")
    existed = subprocess.run(["getent", "passwd", SERVICE_USER], capture_output=True).returncode == 0
    directory = Path(tempfile.mkdtemp(prefix="verifalia-install-"))
    directory.chmod(0o755)
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)
        if not existed:
            subprocess.run(["userdel", SERVICE_USER], capture_output=True)


@pytest.fixture
def database_urls(root_dir: Path) -> Iterator[tuple[str, str]]:
    """A Debian PostgreSQL server on a loopback port: (superuser URL, the service's DATABASE_URL naming a
    role and database that do not exist yet)."""
    binaries = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    assert binaries, "the Debian postgresql package is missing (tests/install-packages.sh installs it)"
    bin_dir = binaries[-1].parent
    data = root_dir / "pgdata"
    data.mkdir()
    shutil.chown(data, "postgres", "postgres")
    port = free_port()

    def as_postgres(*command: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *command], check=True, capture_output=True, timeout=60
        )

    as_postgres(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust")
    options = f"-h 127.0.0.1 -p {port} -k {data} -c fsync=off"
    as_postgres(
        str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(data / "log"), "-w", "start"
    )
    try:
        yield (
            f"postgresql://postgres@127.0.0.1:{port}/postgres",
            f"postgresql://verifalia:secret@127.0.0.1:{port}/verifalia",
        )
    finally:
        as_postgres(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")


def _environment_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def _unit_command(unit: Path, instance: int) -> tuple[str, Path, dict[str, str], list[str]]:
    """What systemd would run for `verifalia-api@<instance>`: user, directory, environment, command."""
    settings: dict[str, list[str]] = {}
    for line in unit.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            settings.setdefault(key.strip(), []).append(value.strip().replace("%i", str(instance)))
    environ = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
    for path in settings["EnvironmentFile"]:
        environ.update(_environment_file(Path(path)))
    return (
        settings["User"][0],
        Path(settings["WorkingDirectory"][0]),
        environ,
        settings["ExecStart"][0].split(),
    )


@contextlib.contextmanager
def _nodes(unit: Path, count: int, logs: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for instance in range(1, count + 1):
            user, directory, environ, command = _unit_command(unit, instance)
            log = (logs / f"api-{instance}.log").open("wb")
            account = pwd.getpwnam(user)
            # As systemd's User= does: the node itself runs as the service user, so killing it kills the node.
            processes.append(
                subprocess.Popen(
                    command,
                    cwd=directory,
                    env=environ,
                    stdout=log,
                    stderr=log,
                    user=account.pw_uid,
                    group=account.pw_gid,
                    extra_groups=[],
                )
            )
        yield processes
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextlib.contextmanager
def _nginx(site: Path, root: Path) -> Iterator[subprocess.Popen[bytes]]:
    """The Debian nginx binary serving the installed site, in the foreground, with its files under `root`."""
    temp = root / "nginx-temp"
    temp.mkdir()
    config = root / "nginx.conf"
    lines = [
        "daemon off;",
        "worker_processes 1;",
        "user root;",
        f"pid {root}/nginx.pid;",
        f"error_log {root}/nginx-error.log;",
        "events { worker_connections 256; }",
        "http {",
        f"  access_log {root}/nginx-access.log;",
        *(
            f"  {kind}_temp_path {temp}/{kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        ),
        f"  include {site};",
        "}",
    ]
    config.write_text(
        "\n".join(lines) + "\n",
        encoding="utf-8",
    )
    process = subprocess.Popen(["nginx", "-e", "stderr", "-p", str(root), "-c", str(config)])
    try:
        yield process
    finally:
        process.send_signal(signal.SIGQUIT)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def _wait_until_up(session: aiohttp.ClientSession, url: str, within: float = 60) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        with contextlib.suppress(aiohttp.ClientError):
            async with session.get(f"{url}/health") as response:
                if response.status == 200:
                    return
        assert loop.time() < deadline, f"{url} did not come up"
        await asyncio.sleep(0.2)


async def test_install_script_then_a_job_through_nginx_survives_a_killed_node(
    root_dir: Path, database_urls: tuple[str, str], mail_farm: MailFarm
) -> None:
    admin_url, database_url = database_urls
    wheels = wheelhouse.build(root_dir / "wheels")
    base_port, listen = _two_free_ports(), free_port()
    paths = {name: root_dir / name for name in ("opt", "etc", "state", "systemd")}
    site = root_dir / "nginx" / "verifalia.conf"
    command = [
        "bash", str(INSTALL_SCRIPT), "--no-start", "--database-url", database_url,
        "--admin-database-url", admin_url, "--user", SERVICE_USER, "--wheelhouse", str(wheels),
        "--prefix", str(paths["opt"]), "--config-dir", str(paths["etc"]), "--state-dir", str(paths["state"]),
        "--unit-dir", str(paths["systemd"]), "--nginx-site", str(site), "--nginx-enabled-dir", "",
        "--base-port", str(base_port), "--listen", str(listen),
        "--account-name", "ops", "--account-credits", "1000",
    ]  # fmt: skip
    installed = await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True, timeout=240)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert (paths["opt"] / "venv" / "bin" / "verifalia-server").exists()
    assert (paths["state"]).stat().st_uid != 0
    credentials = orjson.loads((paths["etc"] / "first-account.json").read_bytes())
    assert credentials["name"] == "ops"
    unit = paths["systemd"] / "verifalia-api@.service"
    assert re.search(r"^ExecStart=.*--node-id api-%i$", unit.read_text(encoding="utf-8"), re.MULTILINE)
    assert _environment_file(paths["etc"] / "node-2.env") == {"VERIFALIA_PORT": str(base_port + 1)}
    # The operator's settings for this site: the test farm is the Internet, and short leases.
    with (paths["etc"] / "verifalia.env").open("a", encoding="utf-8") as env_file:
        for name, value in {
            **mail_farm.engine_environ(),
            "VERIFALIA_LEASE_SECONDS": "1.5",
            "VERIFALIA_SCHEDULER_BATCH_SIZE": "6",
            "VERIFALIA_SCHEDULER_POLL_SECONDS": "0.05",
        }.items():
            env_file.write(f"{name}={value}\n")
    again = await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True, timeout=240)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "accounts exist already" in again.stdout
    mail_farm.set_latency(0.03)
    logs = root_dir / "logs"
    logs.mkdir()
    proxy = f"http://127.0.0.1:{listen}"
    auth = {"Authorization": aiohttp.encode_basic_auth(credentials["sid"], credentials["token"])}
    # A node down is a connection error for nginx: no retries inside aiohttp's pool can hide it.
    async with aiohttp.ClientSession() as session:
        with _nodes(unit, 2, logs) as nodes, _nginx(site, root_dir):
            for port in (base_port, base_port + 1):
                await _wait_until_up(session, f"http://127.0.0.1:{port}")
            await _wait_until_up(session, proxy)
            async with session.post(
                f"{proxy}/v2.6/email-validations",
                json={"entries": [{"inputData": text} for text in INPUTS]},
                headers=auth,
            ) as response:
                assert response.status == 202, await response.text()
                job_id = (await response.json())["overview"]["id"]
            nodes[0].kill()
            nodes[0].wait()
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 90
            while True:
                async with session.get(
                    f"{proxy}/v2.6/email-validations/{job_id}?limit=1000", headers=auth
                ) as response:
                    assert response.status in (200, 202), await response.text()
                    body: dict[str, Any] = await response.json()
                if response.status == 200:
                    break
                assert loop.time() < deadline, "the job did not complete with one node killed"
                await asyncio.sleep(0.2)
            async with session.get(f"{proxy}/metrics") as response:
                assert response.status == 200
                metrics = await response.text()
    statuses = [entry["status"] for entry in body["entries"]["data"]]
    assert statuses == [
        "MailboxDoesNotExist" if index % 3 == 0 else "Success" for index in range(len(INPUTS))
    ]
    assert "verifalia_queue_entries" in metrics
    access_lines = (logs / "api-2.log").read_text(encoding="utf-8") + (logs / "api-1.log").read_text(
        encoding="utf-8"
    )
    assert re.search(r"GET /\{version\}/email-validations/\{id\} 20[02] \d+B", access_lines)
    assert f"job {job_id} completed" in access_lines
