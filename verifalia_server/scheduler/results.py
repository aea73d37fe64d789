"""Translating engine verdicts into the store's result records."""

from __future__ import annotations

from verifalia_server.engine.statuses import Status
from verifalia_server.engine.verdict import Verdict
from verifalia_server.store.work import EntryResult


def entry_result(index: int, verdict: Verdict) -> EntryResult:
    """The stored form of a final verdict."""
    return EntryResult(
        index=index,
        status=verdict.status.value,
        email_address=verdict.email_address,
        local_part=verdict.local_part,
        domain_part=verdict.domain_part,
        ascii_domain_part=verdict.ascii_domain_part,
        has_international_domain_name=verdict.has_international_domain_name,
        has_international_mailbox_name=verdict.has_international_mailbox_name,
        is_disposable=verdict.is_disposable,
        is_free=verdict.is_free,
        is_role=verdict.is_role,
        syntax_failure_index=verdict.syntax_failure_index,
        suggestions=verdict.suggestions,
        evidence=None if verdict.evidence is None else verdict.evidence.as_dict(),
    )


def failure_result(index: int) -> EntryResult:
    """The result of an entry the engine failed on unexpectedly."""
    return EntryResult(index=index, status=Status.UNHANDLED_EXCEPTION.value)
