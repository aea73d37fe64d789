"""Operator views of accounts: `list_accounts(pool)`.

Balances and usage come from `store.credits`; users from `store.users`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from verifalia_server.store.database import Pool


@dataclass(frozen=True, slots=True)
class AccountSummary:
    """An account as listed: its credit packs, daily allowance and how many users and running jobs."""

    id: int
    name: str
    credit_packs: Decimal
    free_daily_credits: Decimal
    users: int
    jobs_in_progress: int
    created_on: dt.datetime


async def list_accounts(pool: Pool[Any]) -> list[AccountSummary]:
    """Every account, oldest first."""
    rows = await pool.fetch(
        "SELECT a.id, a.name, a.credit_packs, a.free_daily_credits, a.created_on,"
        " (SELECT count(*) FROM users u WHERE u.account_id = a.id AND u.deleted_on IS NULL) AS users,"
        " (SELECT count(*) FROM jobs j WHERE j.account_id = a.id AND j.status = 'InProgress') AS running"
        " FROM accounts a ORDER BY a.id"
    )
    return [
        AccountSummary(
            row["id"],
            row["name"],
            row["credit_packs"],
            row["free_daily_credits"],
            row["users"],
            row["running"],
            row["created_on"],
        )
        for row in rows
    ]
