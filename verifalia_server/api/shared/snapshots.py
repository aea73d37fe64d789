"""A per-node cache of rendered snapshots of completed jobs.

A completed job's entries never change, so its rendered body can be reused; the job row is still read
on every request, so deleted or expired jobs are never served from here.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict


class SnapshotCache:
    """Least-recently-used rendered bodies, bounded in total bytes."""

    def __init__(self, max_bytes: int) -> None:
        self._max_bytes = max_bytes
        self._bodies: OrderedDict[uuid.UUID, bytes] = OrderedDict()
        self._size = 0

    def get(self, job_id: uuid.UUID) -> bytes | None:
        """The cached body of a job, if any."""
        body = self._bodies.get(job_id)
        if body is not None:
            self._bodies.move_to_end(job_id)
        return body

    def put(self, job_id: uuid.UUID, body: bytes) -> None:
        """Cache a body, evicting the least recently used ones beyond the size bound."""
        if len(body) > self._max_bytes // 8:
            return
        previous = self._bodies.pop(job_id, None)
        if previous is not None:
            self._size -= len(previous)
        self._bodies[job_id] = body
        self._size += len(body)
        while self._size > self._max_bytes:
            _evicted, evicted_body = self._bodies.popitem(last=False)
            self._size -= len(evicted_body)
