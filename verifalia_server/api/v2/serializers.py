"""JSON shapes of the v2 API: job overview, credits, their date formats (entries: `api.shared.entry`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from verifalia_server.api.shared.wire import estimated_remaining_seconds, iso_datetime, timespan
from verifalia_server.store.credits import Balance, DailyUsage
from verifalia_server.store.jobs import Job


def overview(job: Job) -> dict[str, Any]:
    """The job overview; `progress` only while in progress, `completedOn` only once completed."""
    body: dict[str, Any] = {
        "id": str(job.id),
        "submittedOn": iso_datetime(job.submitted_on),
        "createdOn": iso_datetime(job.created_on),
        "priority": job.priority,
        "name": job.name,
        "owner": job.owner,
        "clientIP": job.client_ip,
        "quality": job.quality,
        "deduplication": job.deduplication,
        "retention": timespan(job.retention.total_seconds()),
        "status": job.status.value,
        "noOfEntries": job.no_of_entries,
    }
    if job.completed_on is not None and job.is_completed:
        body["completedOn"] = iso_datetime(job.completed_on)
    else:
        body["progress"] = progress(job)
    return body


def progress(job: Job) -> dict[str, Any]:
    """Completed fraction and, once anything is done, a remaining-time estimate from observed throughput."""
    done = job.no_of_completed
    total = job.no_of_entries
    body: dict[str, Any] = {"percentage": round(done / total, 4) if total else 0.0}
    remaining = estimated_remaining_seconds(total, done, job.submitted_on, job.now)
    if remaining is not None:
        body["estimatedTimeRemaining"] = timespan(remaining)
    return body


def balance(account_balance: Balance) -> dict[str, Any]:
    """The credits balance; the free-credit fields are null when the account has no daily allowance."""
    reset_in = account_balance.free_credits_reset_in
    return {
        "creditPacks": number(account_balance.credit_packs),
        "freeCredits": None if account_balance.free_credits is None else number(account_balance.free_credits),
        "freeCreditsResetIn": None if reset_in is None else timespan(reset_in.total_seconds()),
    }


def daily_usage(usage: DailyUsage) -> dict[str, Any]:
    """The credits consumed on one day."""
    return {
        "date": usage.day.isoformat(),
        "creditPacks": number(usage.credit_packs),
        "freeCredits": number(usage.free_credits),
    }


def number(value: Decimal) -> int | float:
    """A credit amount as a JSON number: integral amounts without a fraction."""
    return int(value) if value == value.to_integral_value() else float(value)
