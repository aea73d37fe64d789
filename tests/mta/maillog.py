"""Reading Postfix's own log (`maillog_file`): counting the events the tests and benchmarks care about."""

from __future__ import annotations

import asyncio
import enum
import re
from pathlib import Path

_POLL_INTERVAL = 0.05


class LogEvent(enum.Enum):
    """A kind of smtpd log line; the value is a regular expression over one line."""

    CONNECT = r"/smtpd\[\d+\]: connect from "
    DISCONNECT = r"/smtpd\[\d+\]: disconnect from "
    REJECT = r"/smtpd\[\d+\]: \w+: reject: RCPT from "
    UNKNOWN_USER = r": reject: RCPT from .*: 550 5\.1\.1 .*User unknown"
    TOO_MANY_ERRORS = r"/smtpd\[\d+\]: too many errors after "
    RECIPIENT_RATE = r"warning: Recipient address rate limit exceeded: "
    CONNECTION_RATE = r"warning: Connection rate limit exceeded: "
    CONNECTION_COUNT = r"warning: Connection concurrency limit exceeded: "
    GREYLISTED = r": reject: RCPT from .*: 450 4\.2\.0 .*Greylisted"


class PostfixLog:
    """The lines of one Postfix instance's log file; every smtpd line names its listener's host."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def lines(self) -> list[str]:
        """Every line written so far."""
        return self.path.read_text(errors="replace").splitlines() if self.path.exists() else []

    def count(self, event: LogEvent, *, host: str | None = None, client: str | None = None) -> int:
        """Lines of `event`, optionally only from the listener of MX `host` (its DNS name) or `client` IP."""
        pattern = re.compile(event.value)
        return sum(
            1
            for line in self.lines()
            if pattern.search(line)
            and (host is None or f" postfix/{host}/" in line)
            and (client is None or f"[{client}]" in line)
        )

    async def wait_for(
        self,
        event: LogEvent,
        count: int = 1,
        *,
        host: str | None = None,
        client: str | None = None,
        within: float = 5.0,
    ) -> int:
        """Wait up to `within` seconds for `count` lines of `event` (Postfix logs asynchronously);
        the number seen."""
        for _ in range(round(within / _POLL_INTERVAL)):
            seen = self.count(event, host=host, client=client)
            if seen >= count:
                return seen
            await asyncio.sleep(_POLL_INTERVAL)
        return self.count(event, host=host, client=client)
