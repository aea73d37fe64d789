"""Timespans in requests: `[d.]h:m:s`, read leniently (responses use `api.wire.timespan`)."""

from __future__ import annotations

import re
from datetime import timedelta

# Accepts `0:5:0`, `00:10:00`, `1.00:00:00` and a discarded fraction (`00:00:05.123`).
_TIMESPAN = re.compile(r"(?:(\d+)\.)?(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.\d+)?")


def parse_timespan(text: str) -> timedelta:
    """Parse a `[d.]h:m:s` timespan; raise ValueError when it is malformed or a field is out of range."""
    match = _TIMESPAN.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a timespan of the form [d.]hh:mm:ss")
    days, hours, minutes, seconds = (int(group or 0) for group in match.groups())
    if hours > 23 or minutes > 59 or seconds > 59:
        raise ValueError(f"{text!r} has an hour, minute or second field out of range")
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
