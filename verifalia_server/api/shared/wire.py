"""Wire formats shared by the Verifalia surfaces: UTC timestamps and `[d.]hh:mm:ss` timespans."""

from __future__ import annotations

import datetime as dt
import functools


# Entries written together share one timestamp, so a large snapshot formats few distinct values.
@functools.lru_cache(maxsize=4096)
def iso_datetime(value: dt.datetime) -> str:
    """RFC 3339 §5.6 UTC timestamp with milliseconds, e.g. `2024-05-01T10:00:00.000Z`."""
    utc = value.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def timespan(seconds: float) -> str:
    """`[d.]hh:mm:ss`, zero-padded, no fraction; the day part only from 24 hours up."""
    whole = max(0, int(seconds))
    days, rest = divmod(whole, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    clock = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{days}.{clock}" if days else clock


def estimated_remaining_seconds(
    total: int, completed: int, submitted_on: dt.datetime, now: dt.datetime
) -> float | None:
    """Remaining time at the throughput observed since submission; None until there is any progress."""
    elapsed = (now - submitted_on).total_seconds()
    if completed <= 0 or elapsed <= 0:
        return None
    return (total - completed) * elapsed / completed
