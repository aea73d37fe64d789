"""Prices: credits per entry by quality (`VERIFALIA_CREDITS_*`), and what an account can spend."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from verifalia_server.engine.verdict import Quality
from verifalia_server.settings import ServiceSettings
from verifalia_server.store.credits import Balance
from verifalia_server.store.jobs import NewEntry


def entry_price(settings: ServiceSettings, quality: Quality) -> Decimal:
    """The credits one non-duplicate entry costs at `quality`."""
    return Decimal(str(settings.credits_per_entry[quality]))


def job_cost(settings: ServiceSettings, quality: Quality, entries: Sequence[NewEntry]) -> Decimal:
    """Credits for the non-duplicate entries at the quality's unit price."""
    billable = sum(1 for entry in entries if entry.duplicate_of is None)
    return entry_price(settings, quality) * billable


def spendable(balance: Balance) -> Decimal:
    """Credit packs plus what is left of today's free credits."""
    return balance.credit_packs + max(balance.free_credits or Decimal(0), Decimal(0))
