"""Per-app rate limits: requests per minute (error 111) and realtime verifies per minute (error 110).

Counters live in the database, so both nodes share them; the concurrent-lists limit (error 109) is
checked where a bulk list is submitted.
"""

from __future__ import annotations

import math
from typing import Any

from verifalia_server.api.leadrocks.codes import ErrorCode
from verifalia_server.api.leadrocks.errors import LeadRocksError
from verifalia_server.settings import Limits
from verifalia_server.store.apps import App, RequestKind, count_request
from verifalia_server.store.database import Pool

WINDOW_SECONDS = 60.0


async def _admit(pool: Pool[Any], app: App, kind: RequestKind, limit: int, code: ErrorCode) -> None:
    if limit == 0:
        return
    window = await count_request(pool, app.id, kind, WINDOW_SECONDS)
    if window.hits > limit:
        # RFC 9110 §10.2.3: Retry-After in whole seconds.
        retry_after = str(max(1, math.ceil(window.seconds_left)))
        raise LeadRocksError(code, headers={"Retry-After": retry_after})


async def admit_request(pool: Pool[Any], app: App, limits: Limits) -> None:
    """Count a request of the app; error 111 once it is over its requests per minute."""
    await _admit(pool, app, RequestKind.REQUEST, limits.requests_per_minute, ErrorCode.TOO_MANY_REQUESTS)


async def admit_verify(pool: Pool[Any], app: App, limits: Limits) -> None:
    """Count a realtime verify of the app; error 110 once it is over its verifies per minute."""
    await _admit(pool, app, RequestKind.VERIFY, limits.verifies_per_minute, ErrorCode.TOO_MANY_VERIFIES)
