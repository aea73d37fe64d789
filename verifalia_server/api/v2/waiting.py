"""The `waitTime` long-poll: how long a request may be held until its job completes.

`waitTime` is in milliseconds, decimals accepted, clamped to 0..30000. The official Go SDK sends it in
seconds (`waitTime=30`, `waitTime=0.5`); its requests are recognised by their User-Agent
(`verifalia-rest-client/go/...`) and their value is read as seconds. A missing `waitTime` means no wait.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from verifalia_server.api.shared.errors import bad_request

MAX_WAIT_SECONDS = 30.0
_GO_SDK_AGENT = "verifalia-rest-client/go/"


def wait_seconds(query: Mapping[str, str], user_agent: str) -> float:
    """The long-poll duration of a request, in seconds; 400 when `waitTime` is not a number."""
    raw = query.get("waitTime", "").strip()
    if not raw:
        return 0.0
    try:
        value = float(raw)
    except ValueError:
        raise bad_request(
            f"The 'waitTime' parameter must be a number of milliseconds, got {raw!r}."
        ) from None
    if math.isnan(value):
        raise bad_request(f"The 'waitTime' parameter must be a number of milliseconds, got {raw!r}.")
    seconds = value if user_agent.startswith(_GO_SDK_AGENT) else value / 1000.0
    return min(max(seconds, 0.0), MAX_WAIT_SECONDS)
