"""The per-node scheduler: fair leased claims, domain-grouped engine batches, lease-guarded writes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
import uuid
from collections import defaultdict
from typing import Any, Protocol

from verifalia_server.engine.statuses import Status
from verifalia_server.engine.verdict import Quality, Verdict, VerificationRequest
from verifalia_server.scheduler.shares import split_capacity
from verifalia_server.scheduler.writer import ResultWriter
from verifalia_server.settings import ServiceSettings
from verifalia_server.store.database import Pool
from verifalia_server.store.jobs import expire_jobs
from verifalia_server.store.work import (
    Claim,
    EntryResult,
    JobOutcomes,
    Retry,
    claim,
    extend_leases,
    runnable_jobs,
)

_log = logging.getLogger(__name__)
_ERROR_BACKOFF = 1.0


class BatchVerifier(Protocol):
    """What the scheduler needs from the engine."""

    async def verify_batch(self, requests: list[VerificationRequest]) -> list[Verdict]:
        """Verify many requests; verdicts come back in the order of the requests."""
        ...


class Scheduler:
    """Feeds pending entries of every job to the engine, a few batches at a time."""

    def __init__(
        self,
        pool: Pool[Any],
        engine: BatchVerifier,
        settings: ServiceSettings,
        wake: asyncio.Event,
        *,
        rng: random.Random | None = None,
    ) -> None:
        self._pool = pool
        self._engine = engine
        self._settings = settings
        self._wake = wake
        self._rng = rng or random.Random()
        # Unique per process, so a restarted node never mistakes an old lease for its own.
        self.owner = f"{settings.node_id}:{secrets.token_hex(6)}"
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        """Claim and process batches until cancelled; also sweep expired jobs periodically."""
        sweeper = asyncio.create_task(self._sweep_forever(), name="retention-sweep")
        slots = asyncio.Semaphore(self._settings.batches_in_flight)
        try:
            while True:
                await slots.acquire()
                try:
                    batch = await self._claim_batch()
                except Exception:
                    slots.release()
                    _log.exception("claiming entries failed")
                    await asyncio.sleep(_ERROR_BACKOFF)
                    continue
                if not batch:
                    slots.release()
                    await self._idle()
                    continue
                task = asyncio.create_task(self._process_in_slot(batch, slots))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        finally:
            sweeper.cancel()
            for task in (sweeper, *self._tasks):
                task.cancel()
            await asyncio.gather(sweeper, *self._tasks, return_exceptions=True)

    async def _idle(self) -> None:
        self._wake.clear()
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation (gh-86296).
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._settings.poll_seconds):
                await self._wake.wait()

    async def _claim_batch(self) -> list[tuple[Claim, Quality]]:
        jobs = await runnable_jobs(self._pool)
        qualities = {job.id: job.quality for job in jobs}
        allotment = split_capacity(jobs, self._settings.batch_size, self._rng)
        batch: list[tuple[Claim, Quality]] = []
        for job_id, count in allotment.items():
            claims = await claim(self._pool, job_id, self.owner, self._settings.lease_seconds, count)
            batch.extend((claimed, qualities[job_id]) for claimed in claims)
        return batch

    async def _process_in_slot(self, batch: list[tuple[Claim, Quality]], slots: asyncio.Semaphore) -> None:
        try:
            await self._process(batch)
        finally:
            slots.release()

    async def _process(self, batch: list[tuple[Claim, Quality]]) -> None:
        # Grouped by domain, so the engine can serve a domain's recipients in shared SMTP sessions.
        batch.sort(key=lambda item: item[0].domain)
        requests = [
            VerificationRequest(item.input_data, quality, item.attempt, item.submitted_at)
            for item, quality in batch
        ]
        outcomes: dict[uuid.UUID, JobOutcomes] = defaultdict(JobOutcomes)
        renewal = asyncio.create_task(self._renew_leases(batch))
        try:
            verdicts = await self._engine.verify_batch(requests)
        except Exception:
            _log.exception("the engine failed on a batch of %d entries", len(batch))
            for item, _quality in batch:
                failed = Verdict(item.input_data, Status.UNHANDLED_EXCEPTION)
                outcomes[item.job_id].results.append(EntryResult(item.index, failed))
        else:
            for (item, _quality), verdict in zip(batch, verdicts, strict=True):
                if verdict.retry_in is not None:
                    retry = Retry(item.index, verdict.retry_in, spends_attempt=not verdict.deferred)
                    outcomes[item.job_id].retries.append(retry)
                else:
                    outcomes[item.job_id].results.append(EntryResult(item.index, verdict))
        finally:
            renewal.cancel()
        await ResultWriter(self._pool, self.owner, self._settings.lease_seconds).write(outcomes)

    async def _renew_leases(self, batch: list[tuple[Claim, Quality]]) -> None:
        """Keep the batch leased while the engine works on it (a slow mail server must not free it)."""
        claims: dict[uuid.UUID, list[int]] = defaultdict(list)
        for item, _quality in batch:
            claims[item.job_id].append(item.index)
        while True:
            await asyncio.sleep(self._settings.lease_seconds / 3)
            try:
                await extend_leases(self._pool, self.owner, claims, self._settings.lease_seconds)
            except Exception:
                _log.exception("extending the leases of %d entries failed", len(batch))

    async def _sweep_forever(self) -> None:
        while True:
            try:
                expired = await expire_jobs(self._pool)
                if expired:
                    _log.info("expired %d jobs past their retention", expired)
            except Exception:
                _log.exception("retention sweep failed")
            await asyncio.sleep(self._settings.sweep_seconds)
