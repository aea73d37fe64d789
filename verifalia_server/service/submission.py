"""Submitting a job, for every API surface: deduplication, price, storage.

Request bodies are validated before they get here (`api.shared.models`). `submit` refuses entries over the
per-entry length cap or holding text PostgreSQL cannot store (`InvalidInput`, nothing stored), marks
duplicates in a worker thread, off the event loop (`engine.syntax.dedup_key`, never a false duplicate: only
syntactically valid addresses are compared), prices the job (duplicates are free), and stores it in one
transaction, its own or one the caller has open (`InsufficientCredits` when the balance cannot cover it, and
nothing is stored). With a `CaptchaPolicy`, the submission's CAPTCHA is checked once its entries are valid
and before anything is stored (`service.captcha`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from verifalia_server.engine.syntax import ParsedAddress, dedup_key, parse_address
from verifalia_server.engine.verdict import Quality
from verifalia_server.service.captcha import CaptchaAnswer, CaptchaPolicy
from verifalia_server.service.errors import InsufficientCredits, InvalidInput
from verifalia_server.service.pricing import job_cost
from verifalia_server.service.text import first_unstorable, is_storable, unstorable_field
from verifalia_server.settings import ServiceSettings
from verifalia_server.store import credits
from verifalia_server.store.database import Connection, Pool
from verifalia_server.store.jobs import Job, NewEntry, NewJob, create_job

Deduplication = Literal["Off", "Safe", "Relaxed"]


class SubmittedEntry(NamedTuple):
    """One entry as the client sent it."""

    input_data: str
    custom: str | None = None


@dataclass(frozen=True, slots=True)
class Submission:
    """A validated job request."""

    entries: Sequence[SubmittedEntry]
    quality: Quality = Quality.STANDARD
    deduplication: Deduplication = "Off"
    priority: int | None = None
    name: str | None = None
    retention: dt.timedelta | None = None
    callback: dict[str, Any] | None = None
    source: str = "verifalia"
    captcha: CaptchaAnswer | None = None


def grouping_domain(input_data: str) -> str:
    """The scheduler's grouping key: the lowercased text after the last '@'."""
    return input_data.rpartition("@")[2].strip().lower()


def _new_entries(entries: Sequence[SubmittedEntry], deduplication: Deduplication) -> list[NewEntry]:
    if deduplication == "Off":
        return [
            NewEntry(entry.input_data, entry.custom, grouping_domain(entry.input_data)) for entry in entries
        ]
    relaxed = deduplication == "Relaxed"
    first_seen: dict[str, int] = {}
    result: list[NewEntry] = []
    for index, entry in enumerate(entries):
        parsed = parse_address(entry.input_data)
        domain = grouping_domain(entry.input_data)
        if isinstance(parsed, ParsedAddress):
            original = first_seen.setdefault(dedup_key(parsed, relaxed), index)
            if original != index:
                result.append(NewEntry(entry.input_data, entry.custom, domain, original, parsed))
                continue
        result.append(NewEntry(entry.input_data, entry.custom, domain))
    return result


def check_entries(submission: Submission, max_entry_length: int) -> None:
    """`InvalidInput` naming the first entry or option over `max_entry_length` or with unstorable text."""
    if submission.name is not None and not is_storable(submission.name):
        raise unstorable_field("name")
    inputs = [entry.input_data for entry in submission.entries]
    longest = max(map(len, inputs), default=0)
    if longest > max_entry_length:
        index = next(index for index, text in enumerate(inputs) if len(text) > max_entry_length)
        raise InvalidInput(
            f"Invalid 'entries[{index}].inputData': {len(inputs[index])} characters;"
            f" at most {max_entry_length} are allowed per entry."
        )
    # One search over the joined texts; the entry is only looked for when there is something to find.
    if not is_storable("\n".join(inputs)):
        raise unstorable_field(f"entries[{first_unstorable(inputs)}].inputData")
    customs = [entry.custom for entry in submission.entries]
    if (custom_index := first_unstorable(customs)) is not None:
        raise unstorable_field(f"entries[{custom_index}].custom")


async def submit(
    pool: Pool[Any],
    settings: ServiceSettings,
    *,
    account_id: int,
    owner: str,
    client_ip: str,
    submission: Submission,
    connection: Connection | None = None,
    captcha: CaptchaPolicy | None = None,
) -> Job:
    """Store a job for the account (entries, duplicates, credits); `InsufficientCredits` if it cannot be paid.

    With `connection`, the job is stored inside the caller's open transaction on it. With `captcha`, the
    submission's CAPTCHA is checked once its entries are valid (`CaptchaRefused`, `CaptchaUnavailable`:
    nothing is stored).
    """
    await asyncio.to_thread(check_entries, submission, settings.max_entry_length)
    entries = await asyncio.to_thread(_new_entries, submission.entries, submission.deduplication)
    if captcha is not None:
        await captcha.check(submission.captcha, client_ip)
    new_job = NewJob(
        account_id=account_id,
        owner=owner,
        quality=submission.quality,
        client_ip=client_ip,
        retention=submission.retention or dt.timedelta(seconds=settings.retention_seconds),
        deduplication=submission.deduplication,
        priority=submission.priority,
        name=submission.name,
        callback=submission.callback,
        source=submission.source,
    )
    try:
        return await create_job(
            pool, new_job, entries, job_cost(settings, submission.quality, entries), connection=connection
        )
    except credits.InsufficientCredits as error:
        raise InsufficientCredits(error.required, error.available) from None
