"""A TCP relay that adds latency between SMTP clients and the Postfix listeners, and counts sessions.

Each published MX address forwards to its hidden listener. The upstream socket is bound to the address
the client connected from, so Postfix (and its anvil rate limits) sees each client's own address.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable
from dataclasses import dataclass

from tests.mailfarm.connections import ConnectionTracker, StreamHandler

_CHUNK = 65536
_BIND_ATTEMPTS = 20


@dataclass(slots=True)
class SessionStats:
    """Sessions one MX address has relayed: opened in total, open now, and most open at once."""

    opened: int = 0
    active: int = 0
    peak: int = 0


class _Direction:
    """One direction of a relayed connection: bytes leave `delay` seconds after they arrived, in order."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        delay: float,
        on_end: Callable[[], None] | None = None,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._delay = delay
        self._on_end = on_end
        self._queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def run(self) -> None:
        """Copy until end of stream, then half-close the other side after the same delay."""
        forwarder = asyncio.create_task(self._forward())
        try:
            loop = asyncio.get_running_loop()
            while True:
                try:
                    data = await self._reader.read(_CHUNK)
                except OSError:
                    data = b""
                self._queue.put_nowait((loop.time() + self._delay, data))
                if not data:
                    if self._on_end is not None:
                        self._on_end()
                    break
            await forwarder
        finally:
            forwarder.cancel()

    async def _forward(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due, data = await self._queue.get()
            await asyncio.sleep(max(0.0, due - loop.time()))
            if not data:
                if self._writer.can_write_eof():
                    with contextlib.suppress(OSError):
                        self._writer.write_eof()
                return
            self._writer.write(data)
            await self._writer.drain()


class LatencyRelay:
    """Listens on every published address at one port; `latency` is the added round-trip time."""

    def __init__(self, routes: dict[str, str], latency: float = 0.0) -> None:
        self._routes = routes
        self.latency = latency
        self.port = 0
        self.upstream_port = 0
        self.stats: dict[str, SessionStats] = {address: SessionStats() for address in routes}
        self._servers: list[asyncio.Server] = []
        self._connections = ConnectionTracker()

    async def start(self, port: int, upstream_port: int) -> None:
        """Bind every published address on `port` (0: a port free on all of them) and relay to
        `upstream_port` of the listeners."""
        self.upstream_port = upstream_port
        for _ in range(_BIND_ATTEMPTS):
            try:
                self.port = await self._bind_all(port)
                return
            except OSError:
                await self.close()
                if port:
                    raise
        raise OSError("no port free on every published address")

    async def _bind_all(self, port: int) -> int:
        self._connections = ConnectionTracker()
        for address in sorted(self._routes, key=socket.inet_aton):
            handler = self._connections.track(self._handler(address))
            server = await asyncio.start_server(handler, address, port)
            self._servers.append(server)
            port = port or server.sockets[0].getsockname()[1]
        return port

    def _handler(self, address: str) -> StreamHandler:
        async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            stats = self.stats[address]
            stats.opened += 1
            stats.active += 1
            stats.peak = max(stats.peak, stats.active)
            counted = True

            def client_closed() -> None:
                # A session lasts from the client's connection until either side closes it.
                nonlocal counted
                if counted:
                    counted = False
                    stats.active -= 1

            try:
                await self._relay(address, reader, writer, client_closed)
            finally:
                client_closed()

        return relay

    async def _relay(
        self,
        address: str,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        client_closed: Callable[[], None],
    ) -> None:
        one_way = self.latency / 2
        client_address = writer.get_extra_info("peername")[0]
        await asyncio.sleep(one_way)  # the connection request travels to the server
        upstream_reader, upstream_writer = await asyncio.open_connection(
            self._routes[address], self.upstream_port, local_addr=(client_address, 0)
        )
        directions = [
            asyncio.create_task(_Direction(reader, upstream_writer, one_way, client_closed).run()),
            asyncio.create_task(_Direction(upstream_reader, writer, one_way, client_closed).run()),
        ]
        try:
            # a failed direction (a reset) ends the whole connection, as it would end a TCP connection
            await asyncio.wait(directions, return_when=asyncio.FIRST_EXCEPTION)
        finally:
            for direction in directions:
                direction.cancel()
            await asyncio.gather(*directions, return_exceptions=True)
            upstream_writer.close()

    async def close(self) -> None:
        """Stop listening and end every relayed connection."""
        for server in self._servers:
            server.close()
        await self._connections.close()
        for server in self._servers:
            await server.wait_closed()
        self._servers.clear()
