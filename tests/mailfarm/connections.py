"""Bookkeeping of open stream connections so a server can shut down without leaking any."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

StreamHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class ConnectionTracker:
    """Runs stream handlers as tracked tasks and ends them all on `close()`."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    def track(self, handler: StreamHandler) -> StreamHandler:
        """Wrap `handler` so its task and transport are known and closed when done."""

        async def tracked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            if task is not None:
                self._tasks.add(task)
            self._writers.add(writer)
            try:
                await handler(reader, writer)
            except (OSError, asyncio.IncompleteReadError, asyncio.CancelledError):
                # a client going away or the farm shutting down ends the session quietly
                pass
            finally:
                self._writers.discard(writer)
                if task is not None:
                    self._tasks.discard(task)
                writer.close()

        return tracked

    async def close(self) -> None:
        """Abort every open connection and wait for its handler to finish."""
        for writer in list(self._writers):
            writer.transport.abort()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
