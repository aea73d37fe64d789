"""A scripted SMTP peer on loopback for misbehaviours the mail farm does not stage.

It answers the greeting, EHLO, MAIL, RSET and QUIT like a plain server and leaves each RCPT to a script:
a reply line, `DROP` (close without replying) or `HANG` (never reply).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from types import TracebackType
from typing import Final

DROP: Final = "drop"
HANG: Final = "hang"
RecipientScript = Callable[[str], str]


class ScriptedSmtp:
    """`async with ScriptedSmtp(script) as peer:` listens on `peer.ip:peer.port`."""

    def __init__(
        self,
        recipient_script: RecipientScript,
        *,
        ip: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
        greeting: str = "220 scripted.test ESMTP",
        mail_reply: str = "250 2.1.0 Ok",
    ) -> None:
        self.ip = ip
        self.port = port
        self.greeting = greeting
        self.mail_reply = mail_reply
        self.sessions = 0
        self.concurrent = 0
        self.peak_concurrent = 0
        self._script = recipient_script
        self._latency = latency
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> ScriptedSmtp:
        self._server = await asyncio.start_server(self._serve, self.ip, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        self.sessions += 1
        self.concurrent += 1
        self.peak_concurrent = max(self.peak_concurrent, self.concurrent)
        try:
            await self._converse(reader, writer)
        finally:
            self.concurrent -= 1
            self._handlers.discard(task)
            writer.close()

    async def _converse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await self._send(writer, self.greeting)
        if not self.greeting.startswith("220"):
            return
        while line := (await reader.readline()).decode().rstrip("\r\n"):
            verb = line.split(" ", 1)[0].upper()
            if verb == "EHLO":
                await self._send(writer, "250-scripted.test\r\n250 ENHANCEDSTATUSCODES")
            elif verb == "RCPT":
                address = line.partition("<")[2].rpartition(">")[0]
                answer = self._script(address)
                if answer == DROP:
                    return
                if answer == HANG:
                    with contextlib.suppress(ConnectionError):
                        await reader.read()
                    return
                await self._send(writer, answer)
            elif verb == "MAIL":
                await self._send(writer, self.mail_reply)
            elif verb == "QUIT":
                await self._send(writer, "221 2.0.0 Bye")
                return
            else:
                await self._send(writer, "250 2.0.0 Ok")

    async def _send(self, writer: asyncio.StreamWriter, text: str) -> None:
        if self._latency:
            await asyncio.sleep(self._latency)
        writer.write(text.encode() + b"\r\n")
        await writer.drain()
