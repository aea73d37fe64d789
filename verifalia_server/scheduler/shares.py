"""How one claim cycle's capacity is split: equally among accounts, by priority weight within one account."""

from __future__ import annotations

import math
import random
import uuid
from collections import defaultdict
from collections.abc import Sequence

from verifalia_server.store.jobs import NORMAL_PRIORITY
from verifalia_server.store.work import RunnableJob


def priority_weight(priority: int | None) -> float:
    """The share weight of a job priority (0-255, None = normal): 1 for 0, 8.5 for 127, 16 for 255."""
    return 1.0 + (NORMAL_PRIORITY if priority is None else priority) / 17.0


def split_capacity(jobs: Sequence[RunnableJob], capacity: int, rng: random.Random) -> dict[uuid.UUID, int]:
    """Give each job a number of entries to claim; the counts add up to about `capacity`.

    Fractional shares are rounded at random (in proportion to the fraction), so a small share is
    still served now and then and no job starves.
    """
    by_account: dict[int, list[RunnableJob]] = defaultdict(list)
    for job in jobs:
        by_account[job.account_id].append(job)
    if not by_account:
        return {}
    account_share = capacity / len(by_account)
    allotment: dict[uuid.UUID, int] = {}
    for account_jobs in by_account.values():
        total_weight = sum(priority_weight(job.priority) for job in account_jobs)
        for job in account_jobs:
            share = account_share * priority_weight(job.priority) / total_weight
            whole = math.floor(share)
            count = whole + (1 if rng.random() < share - whole else 0)
            if count:
                allotment[job.id] = count
    return allotment
