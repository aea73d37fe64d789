"""Bookkeeping of open stream connections so a server can shut down without leaking any."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

StreamHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
ConnectedCallback = Callable[[asyncio.StreamReader, asyncio.StreamWriter], None]


class ConnectionTracker:
    """Runs stream handlers as tasks it owns from the moment of connection and ends them all on `close()`.

    The tracker starts each handler's task itself, so a task cancelled before its first step is still
    known, awaited and quiet (asyncio's own wrapper would report such a task as an error).
    """

    def __init__(self) -> None:
        self._tasks: dict[asyncio.Task[None], asyncio.StreamWriter] = {}
        self._closing = False

    def track(self, handler: StreamHandler) -> ConnectedCallback:
        """A `client_connected_cb` for `asyncio.start_server` that runs `handler` in a tracked task."""

        def connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            if self._closing:
                writer.transport.abort()
                return
            task = asyncio.get_running_loop().create_task(self._run(handler, reader, writer))
            self._tasks[task] = writer
            task.add_done_callback(self._finished)

        return connected

    @staticmethod
    async def _run(
        handler: StreamHandler, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            # a client going away ends its session quietly
            await handler(reader, writer)

    def _finished(self, task: asyncio.Task[None]) -> None:
        writer = self._tasks.pop(task)
        writer.close()
        if not task.cancelled() and task.exception() is not None:
            asyncio.get_running_loop().call_exception_handler(
                {"message": "stream handler failed", "exception": task.exception(), "task": task}
            )

    async def close(self) -> None:
        """Abort every open connection, refuse new ones and wait for every handler to finish."""
        self._closing = True
        for writer in self._tasks.values():
            writer.transport.abort()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
