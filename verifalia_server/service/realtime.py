"""Verifying one address now, charged like one entry of its quality once the engine has its verdict.

The balance is checked before verifying, so a caller without credits waits for nothing; the charge comes
after, so a verification that fails or is interrupted costs nothing. When concurrent verifications spent
the balance meanwhile, the charge is refused and the verdict withheld (`InsufficientCredits`).
"""

from __future__ import annotations

from typing import Any

from verifalia_server.engine import Engine
from verifalia_server.engine.verdict import Quality, Verdict
from verifalia_server.service.errors import InsufficientCredits
from verifalia_server.service.pricing import entry_price, spendable
from verifalia_server.settings import ServiceSettings
from verifalia_server.store import credits
from verifalia_server.store.database import Pool


async def verify_now(
    pool: Pool[Any],
    engine: Engine,
    settings: ServiceSettings,
    *,
    account_id: int,
    address: str,
    quality: Quality,
    budget: float,
) -> Verdict:
    """The engine's verdict on `address` within `budget` seconds, charged to the account."""
    cost = entry_price(settings, quality)
    available = spendable(await credits.get_balance(pool, account_id))
    if available < cost:
        raise InsufficientCredits(cost, available)
    verdict = await engine.verify(address, quality, timeout=budget)
    async with pool.acquire() as connection, connection.transaction():
        try:
            await credits.charge(connection, account_id, cost)
        except credits.InsufficientCredits as error:
            raise InsufficientCredits(error.required, error.available) from None
    return verdict
