"""A minimal SMTP client session over asyncio streams: connect, send a command, read the reply."""

from __future__ import annotations

import asyncio
import contextlib
import re
import ssl

from verifalia_server.engine.smtp.replies import Reply

# RFC 5321 §4.2: a reply line is a three-digit code, then "-" (more lines follow), " " or the line end.
_REPLY_LINE = re.compile(rb"([2-5][0-5][0-9])([- ]|\r?\n|$)")
# RFC 5321 §4.5.3.1.5: a reply line is at most 512 octets; leave room for lenient servers.
_LINE_LIMIT = 8192
# RFC 5321 §4.2.1: bound the number of lines of one reply so a babbling server cannot hold us forever.
_MAX_REPLY_LINES = 256


class SmtpError(Exception):
    """A session could not go on; `command` names what was being done."""

    def __init__(self, command: str, detail: str) -> None:
        super().__init__(f"{command}: {detail}")
        self.command = command
        self.detail = detail


class ConnectTimeout(SmtpError):
    """The TCP connection was not established in time."""


class ConnectFailure(SmtpError):
    """The TCP connection was refused or the host is unreachable."""


class ReplyTimeout(SmtpError):
    """The server did not answer a command (or greet) in time."""


class ConnectionDropped(SmtpError):
    """The server closed the connection instead of answering."""


class DialogError(SmtpError):
    """The server sent something that is not an SMTP reply."""


class SmtpSession:
    """One open SMTP connection; every wait is bounded by the command timeout."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, command_timeout: float
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._timeout = command_timeout
        self.closed = False

    @classmethod
    async def connect(cls, ip: str, port: int, connect_timeout: float, command_timeout: float) -> SmtpSession:
        """Open a TCP connection to `ip:port`."""
        command = f"CONNECT {ip}:{port}"
        try:
            async with asyncio.timeout(connect_timeout):
                reader, writer = await asyncio.open_connection(ip, port, limit=_LINE_LIMIT)
        except TimeoutError:
            raise ConnectTimeout(command, "connection timed out") from None
        except OSError as error:
            raise ConnectFailure(command, error.strerror or str(error)) from None
        return cls(reader, writer, command_timeout)

    async def greeting(self) -> Reply:
        """Read the server's opening reply (RFC 5321 §4.3.1)."""
        return await self._read_reply("CONNECT")

    async def command(self, line: str) -> Reply:
        """Send one command line and return the server's reply."""
        try:
            # RFC 5321 §2.3.8: lines end with CRLF; RFC 6531 §3.2: UTF-8 only after SMTPUTF8.
            self._writer.write(line.encode("utf-8") + b"\r\n")
            await self._writer.drain()
        except (ConnectionError, OSError) as error:
            self.closed = True
            raise ConnectionDropped(line, str(error) or "connection lost") from None
        return await self._read_reply(line)

    async def starttls(self, context: ssl.SSLContext, server_hostname: str) -> None:
        """Upgrade the connection to TLS after a 220 reply to STARTTLS (RFC 3207 §4)."""
        try:
            async with asyncio.timeout(self._timeout):
                await self._writer.start_tls(context, server_hostname=server_hostname)
        except (TimeoutError, ssl.SSLError, ConnectionError, OSError) as error:
            self.abort()
            raise DialogError("STARTTLS", f"TLS handshake failed: {error}") from None

    async def quit(self) -> None:
        """Say goodbye politely (RFC 5321 §4.1.1.10) and close, ignoring any error."""
        if not self.closed:
            with contextlib.suppress(SmtpError):
                await self.command("QUIT")
        self.abort()

    def abort(self) -> None:
        """Close the connection at once."""
        self.closed = True
        self._writer.transport.abort()

    async def _read_reply(self, command: str) -> Reply:
        code: int | None = None
        lines: list[str] = []
        try:
            async with asyncio.timeout(self._timeout):
                while len(lines) < _MAX_REPLY_LINES:
                    raw = await self._reader.readline()
                    if not raw:
                        self.closed = True
                        raise ConnectionDropped(command, "connection closed by the server")
                    match = _REPLY_LINE.match(raw)
                    if match is None or (code is not None and int(match.group(1)) != code):
                        self.abort()
                        raise DialogError(command, raw[:200].decode("utf-8", "replace").strip())
                    code = int(match.group(1))
                    lines.append(raw[4:].decode("utf-8", "replace").rstrip("\r\n"))
                    if match.group(2) != b"-":
                        return Reply(code, tuple(lines))
        except TimeoutError:
            self.abort()
            raise ReplyTimeout(command, "no reply in time") from None
        except (ValueError, asyncio.LimitOverrunError):
            self.abort()
            raise DialogError(command, "reply line too long") from None
        except (ConnectionError, OSError) as error:
            self.closed = True
            raise ConnectionDropped(command, str(error) or "connection lost") from None
        self.abort()
        raise DialogError(command, "reply has too many lines")
