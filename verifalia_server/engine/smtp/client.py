"""A minimal SMTP client session over asyncio streams: connect, send a command, read the reply."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import socket
import ssl
from collections.abc import Sequence

from python_socks import ProxyConnectionError, ProxyError, ProxyType
from python_socks.async_.asyncio import Proxy

from verifalia_server.engine.smtp.egress import DIRECT, Direct, Egress, Socks5Proxy, SourceAddress
from verifalia_server.engine.smtp.replies import Reply

# RFC 5321 §4.2: a reply line is a three-digit code, then "-" (more lines follow), " " or the line end.
_REPLY_LINE = re.compile(rb"([2-5][0-5][0-9])([- ]|\r?\n|$)")
# RFC 5321 §4.5.3.1.5: a reply line is at most 512 octets; leave room for lenient servers.
_LINE_LIMIT = 8192
# Seconds to wait for the server to close the channel after its reply to QUIT.
_CLOSE_WAIT = 2.0
# RFC 5321 §4.2.1: bound the number of lines of one reply so a babbling server cannot hold us forever.
_MAX_REPLY_LINES = 256
# RFC 1928 §6: replies that report the destination's failure (network/host unreachable, refused).
_DESTINATION_FAILURES = {3: "network unreachable", 4: "host unreachable", 5: "connection refused"}


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


class EgressFailure(ConnectFailure):
    """The egress itself failed (proxy down or refusing us, source address unusable): not the MX's fault."""


class EgressTimeout(ConnectTimeout):
    """The proxy did not complete its handshake in time: not the MX's fault."""


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
    async def connect(
        cls,
        ip: str,
        port: int,
        connect_timeout: float,
        command_timeout: float,
        *,
        egress: Egress = DIRECT,
    ) -> SmtpSession:
        """Open a TCP connection to `ip:port` through `egress`; the address is never resolved again."""
        command = f"CONNECT {ip}:{port}"
        try:
            async with asyncio.timeout(connect_timeout):
                if isinstance(egress, Socks5Proxy):
                    sock = await _through_proxy(egress, ip, port, command)
                else:
                    sock = await _direct(egress, ip, port, command)
        except TimeoutError:
            if isinstance(egress, Socks5Proxy):
                raise EgressTimeout(command, f"proxy {egress.label}: no answer in time") from None
            raise ConnectTimeout(command, "connection timed out") from None
        try:
            reader, writer = await asyncio.open_connection(sock=sock, limit=_LINE_LIMIT)
        except OSError as error:
            sock.close()
            raise ConnectFailure(command, error.strerror or str(error)) from None
        return cls(reader, writer, command_timeout)

    async def greeting(self) -> Reply:
        """Read the server's opening reply (RFC 5321 §4.3.1)."""
        return await self._read_reply("CONNECT")

    async def command(self, line: str) -> Reply:
        """Send one command line and return the server's reply."""
        await self.send((line,))
        return await self.reply(line)

    async def send(self, lines: Sequence[str]) -> None:
        """Send command lines in one write, without waiting for replies (RFC 2920 §3.1 pipelining)."""
        try:
            # RFC 5321 §2.3.8: lines end with CRLF; RFC 6531 §3.2: UTF-8 only after SMTPUTF8.
            self._writer.write(b"".join(line.encode("utf-8") + b"\r\n" for line in lines))
            await self._writer.drain()
        except (ConnectionError, OSError) as error:
            self.closed = True
            raise ConnectionDropped(lines[0], str(error) or "connection lost") from None

    async def reply(self, command: str) -> Reply:
        """Read the reply to `command`, sent earlier; replies come in the order of the commands."""
        return await self._read_reply(command)

    async def starttls(self, context: ssl.SSLContext, server_hostname: str) -> None:
        """Upgrade the connection to TLS after a 220 reply to STARTTLS (RFC 3207 §4)."""
        try:
            async with asyncio.timeout(self._timeout):
                await self._writer.start_tls(context, server_hostname=server_hostname)
        except (TimeoutError, ssl.SSLError, ConnectionError, OSError) as error:
            self.abort()
            raise DialogError("STARTTLS", f"TLS handshake failed: {error}") from None

    async def quit(self) -> None:
        """Say goodbye politely (RFC 5321 §4.1.1.10) and close, ignoring any error.

        The server closes the channel after its 221 reply; the session ends when it has, so a new one to
        the same server never overlaps it.
        """
        if not self.closed:
            with contextlib.suppress(SmtpError, TimeoutError, ConnectionError, OSError):
                reply = await self.command("QUIT")
                if reply.code == 221:
                    async with asyncio.timeout(min(self._timeout, _CLOSE_WAIT)):
                        while await self._reader.read(_LINE_LIMIT):
                            pass
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


async def _direct(egress: Direct | SourceAddress, ip: str, port: int, command: str) -> socket.socket:
    """A connected socket to `ip:port`, bound to the egress's source address when it has one."""
    family = socket.AF_INET6 if ":" in ip else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setblocking(False)
    try:
        if isinstance(egress, SourceAddress):
            try:
                sock.bind((egress.address, 0))
            except OSError as error:
                raise EgressFailure(command, f"cannot bind {egress.address}: {error.strerror}") from None
        try:
            await asyncio.get_running_loop().sock_connect(sock, (ip, port))
        except OSError as error:
            raise ConnectFailure(command, os.strerror(error.errno) if error.errno else str(error)) from None
    except BaseException:
        sock.close()
        raise
    return sock


async def _through_proxy(proxy: Socks5Proxy, ip: str, port: int, command: str) -> socket.socket:
    """A socket tunnelled to `ip:port` by a SOCKS5 CONNECT (RFC 1928 §4), sent as an address, never a name."""
    client = Proxy(ProxyType.SOCKS5, proxy.host, proxy.port, proxy.username, proxy.password, rdns=False)
    where = f"proxy {proxy.label}"
    try:
        return await client.connect(ip, port)
    except ProxyConnectionError as error:
        reason = os.strerror(error.errno) if error.errno else "unreachable"
        raise EgressFailure(command, f"{where}: {reason}") from None
    except ProxyError as error:
        if error.error_code in _DESTINATION_FAILURES:
            raise ConnectFailure(
                command, f"{_DESTINATION_FAILURES[error.error_code]} (via {where})"
            ) from None
        raise EgressFailure(command, f"{where}: {error}") from None
    except OSError as error:
        raise EgressFailure(command, f"{where}: {error.strerror or error}") from None
