"""Per-process counters of the store's work, for whoever exports them (the store exports nothing).

`TALLIES` counts what this process wrote: jobs submitted, completed and expired, verdicts written by status,
entries claimed again after another owner's lease expired, and results refused because their lease had
been lost. The counters only grow.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass(slots=True)
class StoreTallies:
    """Monotonic counters of one process; read them, never reset them."""

    jobs_submitted: Counter[str] = field(default_factory=Counter)
    jobs_completed: int = 0
    jobs_expired: int = 0
    entries_verified: Counter[str] = field(default_factory=Counter)
    leases_expired: int = 0
    results_refused: int = 0


TALLIES = StoreTallies()
