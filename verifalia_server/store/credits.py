"""Credit balance, charging (free daily credits first, then credit packs) and daily usage.

API: `get_balance`, `charge` (inside a caller's transaction), `daily_usage`, `InsufficientCredits`.
Free credits reset every 24 hours counted from the account's `free_reset_anchor`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from verifalia_server.store.database import Pool

# The start of the account's current 24-hour free-credit period.
_PERIOD_START = (
    "(a.free_reset_anchor + floor(extract(epoch FROM now() - a.free_reset_anchor) / 86400)"
    " * interval '1 day')"
)


class InsufficientCredits(Exception):
    """The balance cannot cover a charge; nothing was stored."""

    def __init__(self, required: Decimal, available: Decimal) -> None:
        super().__init__(f"this job needs {required} credits but only {available} are available")
        self.required = required
        self.available = available


@dataclass(frozen=True, slots=True)
class Balance:
    """What an account can still spend; the free fields are None when it has no daily allowance."""

    credit_packs: Decimal
    free_credits: Decimal | None
    free_credits_reset_in: dt.timedelta | None


@dataclass(frozen=True, slots=True)
class Charge:
    """How a charge was paid."""

    free_credits: Decimal
    credit_packs: Decimal


@dataclass(frozen=True, slots=True)
class DailyUsage:
    """Credits consumed on one UTC day."""

    day: dt.date
    credit_packs: Decimal
    free_credits: Decimal


_BALANCE_SQL = f"""
    SELECT a.credit_packs, a.free_daily_credits,
           CASE WHEN a.free_period_start < {_PERIOD_START} THEN 0 ELSE a.free_used END AS used,
           {_PERIOD_START} + interval '1 day' - now() AS reset_in,
           {_PERIOD_START} AS period_start
    FROM accounts a WHERE a.id = $1
"""


async def get_balance(pool: Pool[Any], account_id: int) -> Balance:
    """Return the account's balance."""
    row = await pool.fetchrow(_BALANCE_SQL, account_id)
    if row is None:
        raise LookupError(f"no account {account_id}")
    if row["free_daily_credits"] == 0:
        return Balance(row["credit_packs"], None, None)
    reset_in: dt.timedelta = row["reset_in"]
    return Balance(row["credit_packs"], row["free_daily_credits"] - row["used"], reset_in)


async def charge(connection: Any, account_id: int, amount: Decimal) -> Charge:
    """Charge `amount` credits, free credits first, inside the caller's transaction.

    Locks the account row until the transaction ends and records the charge in the daily usage.
    Raises InsufficientCredits (changing nothing) when the balance cannot cover it.
    """
    row = await connection.fetchrow(_BALANCE_SQL + " FOR UPDATE OF a", account_id)
    if row is None:
        raise LookupError(f"no account {account_id}")
    free_left: Decimal = row["free_daily_credits"] - row["used"]
    from_free = min(max(free_left, Decimal(0)), amount)
    from_packs = amount - from_free
    if from_packs > row["credit_packs"]:
        raise InsufficientCredits(amount, free_left + row["credit_packs"])
    if amount == 0:
        return Charge(Decimal(0), Decimal(0))
    await connection.execute(
        "UPDATE accounts SET credit_packs = credit_packs - $2, free_used = $3, free_period_start = $4"
        " WHERE id = $1",
        account_id,
        from_packs,
        row["used"] + from_free,
        row["period_start"],
    )
    await connection.execute(
        "INSERT INTO daily_usage (account_id, day, credit_packs, free_credits)"
        " VALUES ($1, (now() AT TIME ZONE 'UTC')::date, $2, $3)"
        " ON CONFLICT (account_id, day) DO UPDATE SET"
        " credit_packs = daily_usage.credit_packs + EXCLUDED.credit_packs,"
        " free_credits = daily_usage.free_credits + EXCLUDED.free_credits",
        account_id,
        from_packs,
        from_free,
    )
    return Charge(from_free, from_packs)


async def daily_usage(
    pool: Pool[Any],
    account_id: int,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    after: dt.date | None = None,
    limit: int | None = None,
    descending: bool = False,
) -> list[DailyUsage]:
    """List the days with usage, oldest first (or newest first), optionally after a cursor day."""
    order = "DESC" if descending else "ASC"
    cursor_test = "day < $4" if descending else "day > $4"
    rows = await pool.fetch(
        "SELECT day, credit_packs, free_credits FROM daily_usage"
        " WHERE account_id = $1 AND ($2::date IS NULL OR day >= $2) AND ($3::date IS NULL OR day <= $3)"
        f" AND ($4::date IS NULL OR {cursor_test}) ORDER BY day {order} LIMIT $5",
        account_id,
        since,
        until,
        after,
        limit,
    )
    return [DailyUsage(row["day"], row["credit_packs"], row["free_credits"]) for row in rows]
