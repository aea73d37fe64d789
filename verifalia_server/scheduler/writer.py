"""Writing a batch's results: verdicts are kept through a database outage and written when it returns.

A verdict costs an SMTP probe, so it is never dropped while the database cannot take it: a write that
fails because the database is unreachable (refused or lost connections, a server starting or stopping,
timeouts) is retried, quickly and for as long as it takes, while the batch's leases are renewed so no
other pass claims (and probes) the same entries again. Any other failure (the database refusing the
statement itself) is retried a few times, then given up: the leases then expire and the entries are
verified once more, which is the only way past a write that can never succeed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Mapping
from typing import Any

from verifalia_server.store.database import UNAVAILABLE_ERRORS, Pool
from verifalia_server.store.work import JobOutcomes, extend_leases, record_results

_log = logging.getLogger(__name__)

FIRST_RETRY_DELAY = 0.2
MAX_RETRY_DELAY = 1.0
REFUSED_WRITE_ATTEMPTS = 5


class ResultWriter:
    """Writes outcomes of batches leased by `owner`, holding them until the database takes them."""

    def __init__(self, pool: Pool[Any], owner: str, lease_seconds: float) -> None:
        self._pool = pool
        self._owner = owner
        self._lease_seconds = lease_seconds

    async def write(self, outcomes: Mapping[uuid.UUID, JobOutcomes]) -> bool:
        """Write `outcomes`; True once written, False when the database refused them for good."""
        renewal: asyncio.Task[None] | None = None
        delay = FIRST_RETRY_DELAY
        refused = 0
        outage_logged = False
        try:
            while True:
                try:
                    await record_results(self._pool, self._owner, outcomes)
                    if outage_logged:
                        _log.info("wrote the results of %d entries held through an outage", _count(outcomes))
                    return True
                except UNAVAILABLE_ERRORS as error:
                    if not outage_logged:
                        _log.warning(
                            "the database is unavailable (%r); holding the results of %d entries",
                            error,
                            _count(outcomes),
                        )
                        outage_logged = True
                except Exception:
                    refused += 1
                    _log.exception(
                        "writing the results of %d entries failed (%d/%d)",
                        _count(outcomes),
                        refused,
                        REFUSED_WRITE_ATTEMPTS,
                    )
                    if refused >= REFUSED_WRITE_ATTEMPTS:
                        return False
                if renewal is None:
                    renewal = asyncio.create_task(self._renew(outcomes), name="hold-leases")
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_RETRY_DELAY)
        finally:
            if renewal is not None:
                renewal.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await renewal

    async def _renew(self, outcomes: Mapping[uuid.UUID, JobOutcomes]) -> None:
        """Keep the entries leased while their results wait: at once, then every third of the lease."""
        claims = {
            job_id: [result.index for result in outcome.results] + [retry.index for retry in outcome.retries]
            for job_id, outcome in outcomes.items()
        }
        while True:
            try:
                await extend_leases(self._pool, self._owner, claims, self._lease_seconds)
            except Exception as error:
                _log.debug("renewing the leases of held results failed: %r", error)
            await asyncio.sleep(min(self._lease_seconds / 3, MAX_RETRY_DELAY))


def _count(outcomes: Mapping[uuid.UUID, JobOutcomes]) -> int:
    return sum(len(outcome.results) + len(outcome.retries) for outcome in outcomes.values())
