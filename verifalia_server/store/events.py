"""Job events across nodes: PostgreSQL LISTEN/NOTIFY on `job_completed` and `job_submitted`.

API: `JobEvents(url, pool)`, `await start()`, `await aclose()`,
`await wait_completed(job_id, timeout) -> bool`, `subscribe() -> asyncio.Queue[UUID]` (completed job ids),
`unsubscribe(queue)`, `submitted: asyncio.Event` (set whenever any node stores a new job;
`job_submitted` notifications only set it, they have no subscribers).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import Any

import asyncpg

from verifalia_server.store.database import Pool, connect
from verifalia_server.store.jobs import COMPLETED_CHANNEL, SUBMITTED_CHANNEL

_log = logging.getLogger(__name__)
_RECONNECT_DELAY = 1.0


class JobEvents:
    """One LISTEN connection per node fanning job notifications out to local waiters and subscribers."""

    def __init__(self, url: str, pool: Pool[Any]) -> None:
        self._url = url
        self._pool = pool
        self._waiters: dict[uuid.UUID, set[asyncio.Future[None]]] = {}
        self._subscribers: set[asyncio.Queue[uuid.UUID]] = set()
        self.submitted = asyncio.Event()
        self._connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start listening (reconnecting after failures); return once the first LISTEN is in place."""
        self._task = asyncio.create_task(self._listen_forever(), name="job-events")
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(10):
                await self._connected.wait()

    async def aclose(self) -> None:
        """Stop listening and release every waiter."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for futures in self._waiters.values():
            for future in futures:
                future.cancel()
        self._waiters.clear()

    def subscribe(self) -> asyncio.Queue[uuid.UUID]:
        """Receive the id of every job completed from now on."""
        queue: asyncio.Queue[uuid.UUID] = asyncio.Queue()
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[uuid.UUID]) -> None:
        """Stop feeding a queue obtained from `subscribe`."""
        self._subscribers.discard(queue)

    async def wait_completed(self, job_id: uuid.UUID, timeout: float) -> bool:  # noqa: ASYNC109
        """Wait until the job is complete (or gone) or the timeout passes; True when it is settled."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            future: asyncio.Future[None] = loop.create_future()
            self._waiters.setdefault(job_id, set()).add(future)
            try:
                # Subscribed first, then checked: a completion between the two cannot be missed.
                if await self._is_settled(job_id):
                    return True
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return False
                try:
                    # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation.
                    async with asyncio.timeout(remaining):
                        await future
                except TimeoutError:
                    return await self._is_settled(job_id)
            finally:
                waiters = self._waiters.get(job_id)
                if waiters is not None:
                    waiters.discard(future)
                    if not waiters:
                        del self._waiters[job_id]

    async def _is_settled(self, job_id: uuid.UUID) -> bool:
        status = await self._pool.fetchval("SELECT status FROM jobs WHERE id = $1", job_id)
        return status is None or status != "InProgress"

    async def _listen_forever(self) -> None:
        while True:
            connection: asyncpg.Connection[Any] | None = None
            try:
                connection = await connect(self._url)
                lost = asyncio.Event()
                connection.add_termination_listener(lambda _connection, event=lost: event.set())
                await connection.add_listener(COMPLETED_CHANNEL, self._on_notification)
                await connection.add_listener(SUBMITTED_CHANNEL, self._on_notification)
                self._connected.set()
                # Whatever happened while disconnected is unknown: wake everyone to re-check.
                self._wake_all_waiters()
                self.submitted.set()
                await lost.wait()
                _log.warning("job events connection lost; reconnecting")
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                _log.warning("job events connection failed: %s", error)
            finally:
                if connection is not None and not connection.is_closed():
                    with contextlib.suppress(Exception):
                        await connection.close()
            await asyncio.sleep(_RECONNECT_DELAY)

    def _wake_all_waiters(self) -> None:
        for futures in self._waiters.values():
            for future in futures:
                if not future.done():
                    future.set_result(None)

    def _on_notification(self, _connection: Any, _pid: int, channel: str, payload: str) -> None:
        try:
            job_id = uuid.UUID(payload)
        except ValueError:
            return
        if channel == SUBMITTED_CHANNEL:
            self.submitted.set()
            return
        for future in self._waiters.get(job_id, ()):
            if not future.done():
                future.set_result(None)
        for queue in self._subscribers:
            queue.put_nowait(job_id)
