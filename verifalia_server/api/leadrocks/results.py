"""LeadRocks verdicts: the one table from Verifalia statuses to `valid` / `invalid` / `catch-all` / `unknown`.

| Verifalia status                                                          | status      | safe_to_send |
|---------------------------------------------------------------------------|-------------|--------------|
| Success                                                                   | `valid`     | `yes` (1)    |
| LocalPartIsWellKnownRoleAccount                                           | `valid`     | `no`         |
| MailboxHasInsufficientStorage                                             | `valid`     | `no`         |
| ServerIsCatchAll                                                          | `catch-all` | `no`         |
| every syntax failure (UnmatchedQuotedPair ... IspSpecificSyntaxFailure),  | `invalid`   | `no`         |
| UnacceptableDomainLiteral, DomainDoesNotExist, DomainIsMisconfigured,     |             |              |
| DomainHasNullMx, MailboxDoesNotExist, MailExchangerIsParked,              |             |              |
| MailExchangerIsHoneypot                                                   |             |              |
| DomainIsWellKnownDea, MailExchangerIsWellKnownDea, MailboxIsDea           | `unknown`   | `no`         |
| every timeout, connection, DNS, SMTP-dialog and temporary failure         | `unknown`   | `no`         |
| (DnsQueryTimeout, DnsConnectionFailure, SmtpConnectionTimeout,            |             |              |
| SmtpConnectionFailure, SmtpDialogError, LocalEndPointRejected,            |             |              |
| ServerTemporaryUnavailable, MailboxConnectionFailure,                     |             |              |
| LocalSenderAddressRejected, MailboxValidationTimeout,                     |             |              |
| MailboxTemporarilyUnavailable, ServerDoesNotSupportInternationalMailboxes,|             |              |
| CatchAllValidationTimeout, CatchAllConnectionFailure,                     |             |              |
| HttpConnectionTimeout, HttpConnectionFailure), OverrideMatch,             |             |              |
| UnhandledException, Duplicate (2)                                         |             |              |

(1) `safe_to_send` is `yes` only for a `Success` that is neither a role account nor disposable.
(2) A duplicate row of a bulk list reports the verdict of the row it duplicates; `Duplicate` itself is only
reached if that row is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from verifalia_server.engine.statuses import SYNTAX_STATUSES, Status


class LeadRocksStatus(StrEnum):
    """The four verdicts of the LeadRocks API."""

    VALID = "valid"
    INVALID = "invalid"
    CATCH_ALL = "catch-all"
    UNKNOWN = "unknown"


_VALID_BUT_UNSAFE = frozenset(
    {Status.LOCAL_PART_IS_WELL_KNOWN_ROLE_ACCOUNT, Status.MAILBOX_HAS_INSUFFICIENT_STORAGE}
)
_INVALID = SYNTAX_STATUSES | {
    Status.DOMAIN_DOES_NOT_EXIST,
    Status.DOMAIN_IS_MISCONFIGURED,
    Status.DOMAIN_HAS_NULL_MX,
    Status.MAILBOX_DOES_NOT_EXIST,
    Status.MAIL_EXCHANGER_IS_PARKED,
    Status.MAIL_EXCHANGER_IS_HONEYPOT,
}

# The one mapping table (module docstring): Verifalia status -> (LeadRocks status, safe to send).
STATUS_TABLE: dict[Status, tuple[LeadRocksStatus, bool]] = {
    status: (
        (LeadRocksStatus.VALID, True)
        if status is Status.SUCCESS
        else (LeadRocksStatus.VALID, False)
        if status in _VALID_BUT_UNSAFE
        else (LeadRocksStatus.CATCH_ALL, False)
        if status is Status.SERVER_IS_CATCH_ALL
        else (LeadRocksStatus.INVALID, False)
        if status in _INVALID
        else (LeadRocksStatus.UNKNOWN, False)
    )
    for status in Status
}


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


@dataclass(frozen=True, slots=True)
class LeadRocksVerdict:
    """One address's verdict as the LeadRocks API reports it."""

    status: LeadRocksStatus
    safe_to_send: bool
    disposable: bool
    free_account: bool
    role_account: bool

    @classmethod
    def of(cls, status: Status, *, disposable: bool, free: bool, role: bool) -> LeadRocksVerdict:
        """Map a Verifalia status and the address's list flags through the table."""
        verdict, safe = STATUS_TABLE[status]
        return cls(
            status=verdict,
            safe_to_send=safe and not role and not disposable,
            disposable=disposable,
            free_account=free,
            role_account=role,
        )

    @classmethod
    def empty(cls) -> LeadRocksVerdict:
        """The verdict of a bulk row whose email cell is empty: `invalid`, every flag `no`."""
        return cls(
            LeadRocksStatus.INVALID,
            safe_to_send=False,
            disposable=False,
            free_account=False,
            role_account=False,
        )

    def columns(self) -> tuple[str, str, str, str, str]:
        """The five result columns, in RESULT_COLUMNS order."""
        return (
            self.status.value,
            _yes_no(self.safe_to_send),
            _yes_no(self.disposable),
            _yes_no(self.free_account),
            _yes_no(self.role_account),
        )


RESULT_COLUMNS = ("status", "safe_to_send", "disposable", "free_account", "role_account")
