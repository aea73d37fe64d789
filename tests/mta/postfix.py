"""One real Postfix instance (Debian's `master` in the foreground) with its own config, queue and log."""

from __future__ import annotations

import asyncio
import grp
import os
import pwd
import shutil
import time
from collections.abc import Sequence
from pathlib import Path

from tests.mta import postfix_config
from tests.mta.postfix_config import Layout
from tests.mta.process import SupervisedProcess
from tests.mta.scenario import Scenario

DAEMON_DIRECTORY = Path("/usr/lib/postfix/sbin")
MAIL_OWNER = "postfix"
SETGID_GROUP = "postdrop"
_READY_TIMEOUT = 10.0
_SETTLED_AGE = 60.0
_POLL_INTERVAL = 0.02
# owner ("" = root), group ("" = root's), mode; as in Debian's postfix-files
_QUEUE_DIRECTORIES = {
    "active": (MAIL_OWNER, "", 0o700),
    "bounce": (MAIL_OWNER, "", 0o700),
    "corrupt": (MAIL_OWNER, "", 0o700),
    "defer": (MAIL_OWNER, "", 0o700),
    "deferred": (MAIL_OWNER, "", 0o700),
    "flush": (MAIL_OWNER, "", 0o700),
    "hold": (MAIL_OWNER, "", 0o700),
    "incoming": (MAIL_OWNER, "", 0o700),
    "private": (MAIL_OWNER, "", 0o700),
    "saved": (MAIL_OWNER, "", 0o700),
    "trace": (MAIL_OWNER, "", 0o700),
    "maildrop": (MAIL_OWNER, SETGID_GROUP, 0o730),
    "public": (MAIL_OWNER, SETGID_GROUP, 0o710),
    "pid": ("", "", 0o755),
}


class PostfixError(RuntimeError):
    """Postfix is not installed, or its master daemon did not start."""


def _make_directory(path: Path, owner: str, group: str, mode: int) -> None:
    path.mkdir(parents=True, exist_ok=True)
    uid = pwd.getpwnam(owner).pw_uid if owner else 0
    gid = grp.getgrnam(group).gr_gid if group else (pwd.getpwnam(owner).pw_gid if owner else 0)
    os.chown(path, uid, gid)
    path.chmod(mode)


class PostfixInstance:
    """Writes a scenario's configuration under `layout` and runs `master -c <config> -d` supervised.

    `wrapper` prefixes the master's command line (e.g. `strace -f -o FILE` to watch every Postfix process).
    """

    def __init__(self, layout: Layout, scenario: Scenario, wrapper: Sequence[str] = ()) -> None:
        self.layout = layout
        self._scenario = scenario
        self._master = SupervisedProcess(
            [*wrapper, str(DAEMON_DIRECTORY / "master"), "-c", str(layout.config), "-d"],
            layout.base / "master.out",
        )

    def configure(self, port: int, policy_port: int) -> None:
        """Create the directories and write main.cf, master.cf and the texthash tables."""
        if shutil.which("postconf") is None or not (DAEMON_DIRECTORY / "master").exists():
            raise PostfixError("Postfix is not installed: run tests/install-packages.sh as root")
        layout = self.layout
        layout.config.mkdir(mode=0o755, exist_ok=True)
        _make_directory(layout.queue, "", "", 0o755)
        for name, (owner, group, mode) in _QUEUE_DIRECTORIES.items():
            _make_directory(layout.queue / name, owner, group, mode)
        _make_directory(layout.data, MAIL_OWNER, "", 0o700)
        _make_directory(layout.mail, MAIL_OWNER, "", 0o700)
        scenario = self._scenario
        files = {
            "main.cf": postfix_config.main_cf(layout),
            "master.cf": postfix_config.master_cf(scenario, port, policy_port),
            "domains": postfix_config.domains_table(scenario),
            "mailboxes": postfix_config.mailboxes_table(scenario),
            "aliases": postfix_config.aliases_table(scenario),
        }
        # Postfix waits until a file it loads is older than its last second, in case it is still being
        # written: files that look a minute old are read at once
        settled = time.time() - _SETTLED_AGE
        for name, text in files.items():
            path = layout.config / name
            path.write_text(text)
            os.utime(path, (settled, settled))

    async def start(self) -> None:
        """Start the master daemon and wait until it has bound every listener."""
        await self._master.start()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _READY_TIMEOUT
        while not self._started():
            if not self._master.running or loop.time() > deadline:
                await self._master.stop()
                raise PostfixError(f"Postfix did not start:\n{self._diagnostics()}")
            await asyncio.sleep(_POLL_INTERVAL)

    def _started(self) -> bool:
        # master logs this once it has bound every listener and started its services
        log = self.layout.maillog
        return log.exists() and "daemon started" in log.read_text(errors="replace")

    def _diagnostics(self) -> str:
        log = self.layout.maillog
        return self._master.output() + (log.read_text(errors="replace") if log.exists() else "")

    async def postconf(self, *arguments: str) -> str:
        """The output of `postconf -c <config> ARGUMENTS` (e.g. `-h smtpd_peername_lookup`, `-M`, `-P`)."""
        process = await asyncio.create_subprocess_exec(
            "postconf",
            "-c",
            str(self.layout.config),
            *arguments,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        output, errors = await process.communicate()
        if process.returncode != 0:
            raise PostfixError(errors.decode(errors="replace"))
        return output.decode()

    async def stop(self) -> None:
        """Stop the master daemon and every Postfix process."""
        await self._master.stop()
