"""A minimal SMTP client for probing the farm from a chosen loopback source address."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass

_TIMEOUT = 30.0


class ConnectionClosed(ConnectionError):
    """The server closed the connection instead of replying."""


@dataclass(frozen=True, slots=True)
class Reply:
    """One SMTP reply: its code, its text lines, and the seconds it took to arrive."""

    code: int
    lines: tuple[str, ...]
    elapsed: float

    @property
    def text(self) -> str:
        """The reply's text lines joined with spaces."""
        return " ".join(self.lines)


class SmtpClient:
    """One SMTP session over a plain TCP connection; `banner` is the server's greeting."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, banner: Reply) -> None:
        self._reader = reader
        self._writer = writer
        self.banner = banner

    @classmethod
    async def connect(cls, host: str, port: int, *, source: str | None = None) -> SmtpClient:
        """Connect to `host:port` (from `source`, a loopback address, when given) and read the greeting."""
        started = time.monotonic()
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, local_addr=(source, 0) if source else None), _TIMEOUT
        )
        client = cls(reader, writer, Reply(0, (), 0.0))
        banner = await client._read_reply()
        client.banner = Reply(banner.code, banner.lines, time.monotonic() - started)
        return client

    async def _read_reply(self) -> Reply:
        started = time.monotonic()
        lines: list[str] = []
        while True:
            raw = await asyncio.wait_for(self._reader.readline(), _TIMEOUT)
            if not raw.endswith(b"\n"):
                raise ConnectionClosed("connection closed by the server")
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            lines.append(line[4:])
            # RFC 5321 §4.2.1: "xyz-" continues a multiline reply, "xyz " (or "xyz") ends it
            if len(line) < 4 or line[3] != "-":
                return Reply(int(line[:3]), tuple(lines), time.monotonic() - started)

    async def command(self, line: str) -> Reply:
        """Send one command line (RFC 5321 §2.3.8: ended by CRLF) and read its reply."""
        self._writer.write(line.encode() + b"\r\n")
        await self._writer.drain()
        return await self._read_reply()

    async def closed_by_server(self) -> bool:
        """Whether the server has closed the connection (reads until end of stream or a short timeout)."""
        with contextlib.suppress(TimeoutError):
            return await asyncio.wait_for(self._reader.read(), 2.0) == b""
        return False

    async def close(self) -> None:
        """Close the connection without QUIT."""
        self._writer.close()
        with contextlib.suppress(OSError):
            await self._writer.wait_closed()

    async def __aenter__(self) -> SmtpClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()
