"""Debian's postgrey, a greylisting policy server for Postfix, on a loopback port with its own database."""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import shutil
from pathlib import Path

from tests.mta.process import SupervisedProcess

POLICY_HOST = "127.0.0.1"
POSTGREY_USER = "postgrey"
_READY_TIMEOUT = 15.0
_POLL_INTERVAL = 0.05


class PostgreyError(RuntimeError):
    """postgrey is not installed or did not start."""


class Postgrey:
    """postgrey listening on `POLICY_HOST:port`, greylisting each new triplet for `delay` seconds."""

    def __init__(self, database: Path, port: int, delay: int) -> None:
        self.port = port
        self.delay = delay
        self._database = database
        executable = shutil.which("postgrey")
        if executable is None:
            raise PostgreyError("postgrey is not installed: run tests/install-packages.sh as root")
        self._process = SupervisedProcess(
            [
                executable,
                f"--inet={POLICY_HOST}:{port}",
                f"--delay={delay}",
                f"--dbdir={database}",
                f"--pidfile={database / 'postgrey.pid'}",
                "--auto-whitelist-clients=0",
            ],
            database.parent / "postgrey.out",
        )

    async def start(self) -> None:
        """Create the database directory, start postgrey and wait until it accepts connections."""
        self._database.mkdir(mode=0o700, exist_ok=True)
        user = pwd.getpwnam(POSTGREY_USER)
        os.chown(self._database, user.pw_uid, user.pw_gid)
        await self._process.start()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _READY_TIMEOUT
        while not await self._accepting():
            if not self._process.running or loop.time() > deadline:
                await self._process.stop()
                raise PostgreyError(f"postgrey did not start:\n{self._process.output()}")
            await asyncio.sleep(_POLL_INTERVAL)

    async def _accepting(self) -> bool:
        try:
            _reader, writer = await asyncio.open_connection(POLICY_HOST, self.port)
        except OSError:
            return False
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return True

    async def stop(self) -> None:
        """Stop postgrey."""
        await self._process.stop()
