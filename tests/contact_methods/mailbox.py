"""A real Postfix (Debian's, run like the MTA farm's) that takes mail for one domain into maildirs.

The farm's instances never deliver; this one does: `virtual(8)` writes every accepted message for a listed
mailbox into `<virtual_mailbox_base>/<domain>/<local part>/new/` (a map entry ending in `/` is a maildir),
where a test reads it back.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import pwd
import shutil
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType

from tests.mta.ports import common_free_port
from tests.mta.postfix import MAIL_OWNER, PostfixInstance
from tests.mta.postfix_config import Layout
from tests.mta.scenario import STOCK, MailDomain, MailHost, Scenario

DOMAIN = "mailbox.test"
LISTENER = "127.0.0.1"
_SETTLED_AGE = 60.0
_POLL_INTERVAL = 0.05
_DELIVERY_TIMEOUT = 10.0


class MailboxPostfix:
    """`async with MailboxPostfix(("alice",)) as postfix:` takes mail for `alice@mailbox.test`."""

    def __init__(self, mailboxes: tuple[str, ...]) -> None:
        self._mailboxes = frozenset(mailboxes)
        self._directory: Path | None = None
        self._postfix: PostfixInstance | None = None
        self.port = 0

    async def __aenter__(self) -> MailboxPostfix:
        self._directory = Path(tempfile.mkdtemp(prefix="mailbox-postfix-"))
        self._directory.chmod(0o755)  # Postfix drops root privileges
        host = MailHost(f"postfix.{DOMAIN}", LISTENER, LISTENER, STOCK)
        scenario = Scenario("mailboxes", (host,), (MailDomain(DOMAIN, (host.name,), self._mailboxes),))
        self._postfix = PostfixInstance(Layout(self._directory), scenario)
        self.port = common_free_port([LISTENER])
        self._postfix.configure(self.port, 0)
        self._deliver_as_mail_owner()
        try:
            await self._postfix.start()
        except BaseException:
            await self.__aexit__(None, None, None)
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._postfix is not None:
            await self._postfix.stop()
        if self._directory is not None:
            shutil.rmtree(self._directory, ignore_errors=True)
        self._postfix = self._directory = None

    @property
    def relay(self) -> str:
        """`host:port` of the listener, as `VERIFALIA_SMTP_RELAY` takes it."""
        return f"{LISTENER}:{self.port}"

    def messages(self, local_part: str) -> list[EmailMessage]:
        """Every message delivered to `local_part@mailbox.test` so far."""
        assert self._postfix is not None
        new = self._postfix.layout.mail / DOMAIN / local_part / "new"
        if not new.is_dir():
            return []
        return [_parse(path.read_bytes()) for path in sorted(new.iterdir())]

    async def wait_for_message(self, local_part: str) -> EmailMessage:
        """The first message delivered to `local_part@mailbox.test`, waiting for its delivery."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _DELIVERY_TIMEOUT
        while not (delivered := self.messages(local_part)):
            if loop.time() > deadline:
                raise AssertionError(f"no message for {local_part}@{DOMAIN}:\n{self._log()}")
            await asyncio.sleep(_POLL_INTERVAL)
        return delivered[0]

    def _log(self) -> str:
        assert self._postfix is not None
        log = self._postfix.layout.maillog
        return log.read_text(errors="replace") if log.exists() else ""

    def _deliver_as_mail_owner(self) -> None:
        # virtual(8) needs a uid and gid to write maildirs as; the mail owner's own directory is its base
        assert self._postfix is not None
        owner = pwd.getpwnam(MAIL_OWNER)
        main_cf = self._postfix.layout.config / "main.cf"
        with main_cf.open("a") as file:
            file.write(
                f"virtual_uid_maps = static:{owner.pw_uid}\n"
                f"virtual_gid_maps = static:{owner.pw_gid}\n"
                f"virtual_minimum_uid = {owner.pw_uid}\n"
            )
        settled = time.time() - _SETTLED_AGE
        os.utime(main_cf, (settled, settled))


def _parse(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message
