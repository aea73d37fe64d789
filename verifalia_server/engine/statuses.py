"""Verifalia entry status codes, their classification and their v1.4 spelling."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """Every entry status of API v2.x, plus the two that only v1.4 knew."""

    SUCCESS = "Success"
    # Syntax
    UNMATCHED_QUOTED_PAIR = "UnmatchedQuotedPair"
    UNEXPECTED_QUOTED_PAIR_SEQUENCE = "UnexpectedQuotedPairSequence"
    INVALID_WORD_BOUNDARY_START = "InvalidWordBoundaryStart"
    INVALID_CHARACTER_IN_SEQUENCE = "InvalidCharacterInSequence"
    UNBALANCED_COMMENT_PARENTHESIS = "UnbalancedCommentParenthesis"
    DOUBLE_DOT_SEQUENCE = "DoubleDotSequence"
    INVALID_LOCAL_PART_LENGTH = "InvalidLocalPartLength"
    INVALID_FOLDING_WHITE_SPACE_SEQUENCE = "InvalidFoldingWhiteSpaceSequence"
    AT_SIGN_NOT_FOUND = "AtSignNotFound"
    INVALID_EMPTY_QUOTED_WORD = "InvalidEmptyQuotedWord"
    INVALID_ADDRESS_LENGTH = "InvalidAddressLength"
    DOMAIN_PART_COMPLIANCY_FAILURE = "DomainPartCompliancyFailure"
    ISP_SPECIFIC_SYNTAX_FAILURE = "IspSpecificSyntaxFailure"
    # Role
    LOCAL_PART_IS_WELL_KNOWN_ROLE_ACCOUNT = "LocalPartIsWellKnownRoleAccount"
    # DNS
    DNS_QUERY_TIMEOUT = "DnsQueryTimeout"
    DNS_CONNECTION_FAILURE = "DnsConnectionFailure"
    DOMAIN_DOES_NOT_EXIST = "DomainDoesNotExist"
    DOMAIN_IS_MISCONFIGURED = "DomainIsMisconfigured"
    DOMAIN_HAS_NULL_MX = "DomainHasNullMx"
    # Disposable addresses
    DOMAIN_IS_WELL_KNOWN_DEA = "DomainIsWellKnownDea"
    MAIL_EXCHANGER_IS_WELL_KNOWN_DEA = "MailExchangerIsWellKnownDea"
    MAILBOX_IS_DEA = "MailboxIsDea"
    # SMTP
    SMTP_CONNECTION_TIMEOUT = "SmtpConnectionTimeout"
    SMTP_CONNECTION_FAILURE = "SmtpConnectionFailure"
    SMTP_DIALOG_ERROR = "SmtpDialogError"
    LOCAL_END_POINT_REJECTED = "LocalEndPointRejected"
    SERVER_TEMPORARY_UNAVAILABLE = "ServerTemporaryUnavailable"
    # Mailbox
    MAILBOX_DOES_NOT_EXIST = "MailboxDoesNotExist"
    MAILBOX_CONNECTION_FAILURE = "MailboxConnectionFailure"
    LOCAL_SENDER_ADDRESS_REJECTED = "LocalSenderAddressRejected"
    MAILBOX_VALIDATION_TIMEOUT = "MailboxValidationTimeout"
    MAILBOX_TEMPORARILY_UNAVAILABLE = "MailboxTemporarilyUnavailable"
    SERVER_DOES_NOT_SUPPORT_INTERNATIONAL_MAILBOXES = "ServerDoesNotSupportInternationalMailboxes"
    MAILBOX_HAS_INSUFFICIENT_STORAGE = "MailboxHasInsufficientStorage"
    MAIL_EXCHANGER_IS_HONEYPOT = "MailExchangerIsHoneypot"
    # Catch-all
    CATCH_ALL_VALIDATION_TIMEOUT = "CatchAllValidationTimeout"
    SERVER_IS_CATCH_ALL = "ServerIsCatchAll"
    CATCH_ALL_CONNECTION_FAILURE = "CatchAllConnectionFailure"
    # Other
    UNACCEPTABLE_DOMAIN_LITERAL = "UnacceptableDomainLiteral"
    MAIL_EXCHANGER_IS_PARKED = "MailExchangerIsParked"
    OVERRIDE_MATCH = "OverrideMatch"
    DUPLICATE = "Duplicate"
    UNHANDLED_EXCEPTION = "UnhandledException"
    # v1.4 only
    HTTP_CONNECTION_TIMEOUT = "HttpConnectionTimeout"
    HTTP_CONNECTION_FAILURE = "HttpConnectionFailure"


class Classification(StrEnum):
    """The four verdict classes of API v2.x."""

    DELIVERABLE = "Deliverable"
    RISKY = "Risky"
    UNDELIVERABLE = "Undeliverable"
    UNKNOWN = "Unknown"


SYNTAX_STATUSES = frozenset(
    {
        Status.UNMATCHED_QUOTED_PAIR,
        Status.UNEXPECTED_QUOTED_PAIR_SEQUENCE,
        Status.INVALID_WORD_BOUNDARY_START,
        Status.INVALID_CHARACTER_IN_SEQUENCE,
        Status.UNBALANCED_COMMENT_PARENTHESIS,
        Status.DOUBLE_DOT_SEQUENCE,
        Status.INVALID_LOCAL_PART_LENGTH,
        Status.INVALID_FOLDING_WHITE_SPACE_SEQUENCE,
        Status.AT_SIGN_NOT_FOUND,
        Status.INVALID_EMPTY_QUOTED_WORD,
        Status.INVALID_ADDRESS_LENGTH,
        Status.DOMAIN_PART_COMPLIANCY_FAILURE,
        Status.ISP_SPECIFIC_SYNTAX_FAILURE,
        Status.UNACCEPTABLE_DOMAIN_LITERAL,
    }
)
DNS_STATUSES = frozenset(
    {
        Status.DNS_QUERY_TIMEOUT,
        Status.DNS_CONNECTION_FAILURE,
        Status.DOMAIN_DOES_NOT_EXIST,
        Status.DOMAIN_IS_MISCONFIGURED,
        Status.DOMAIN_HAS_NULL_MX,
        Status.MAIL_EXCHANGER_IS_PARKED,
    }
)
SMTP_STATUSES = frozenset(
    {
        Status.SMTP_CONNECTION_TIMEOUT,
        Status.SMTP_CONNECTION_FAILURE,
        Status.SMTP_DIALOG_ERROR,
        Status.LOCAL_END_POINT_REJECTED,
        Status.SERVER_TEMPORARY_UNAVAILABLE,
    }
)
MAILBOX_STATUSES = frozenset(
    {
        Status.MAILBOX_DOES_NOT_EXIST,
        Status.MAILBOX_CONNECTION_FAILURE,
        Status.LOCAL_SENDER_ADDRESS_REJECTED,
        Status.MAILBOX_VALIDATION_TIMEOUT,
        Status.MAILBOX_TEMPORARILY_UNAVAILABLE,
        Status.SERVER_DOES_NOT_SUPPORT_INTERNATIONAL_MAILBOXES,
        Status.MAILBOX_HAS_INSUFFICIENT_STORAGE,
        Status.MAIL_EXCHANGER_IS_HONEYPOT,
    }
)
CATCH_ALL_STATUSES = frozenset(
    {
        Status.CATCH_ALL_VALIDATION_TIMEOUT,
        Status.SERVER_IS_CATCH_ALL,
        Status.CATCH_ALL_CONNECTION_FAILURE,
    }
)
TIMEOUT_STATUSES = frozenset(
    {
        Status.DNS_QUERY_TIMEOUT,
        Status.SMTP_CONNECTION_TIMEOUT,
        Status.MAILBOX_VALIDATION_TIMEOUT,
        Status.CATCH_ALL_VALIDATION_TIMEOUT,
        Status.HTTP_CONNECTION_TIMEOUT,
    }
)
NETWORK_STATUSES = TIMEOUT_STATUSES | frozenset(
    {
        Status.DNS_CONNECTION_FAILURE,
        Status.SMTP_CONNECTION_FAILURE,
        Status.MAILBOX_CONNECTION_FAILURE,
        Status.CATCH_ALL_CONNECTION_FAILURE,
        Status.HTTP_CONNECTION_FAILURE,
    }
)

_UNDELIVERABLE = SYNTAX_STATUSES | {
    Status.DOMAIN_DOES_NOT_EXIST,
    Status.DOMAIN_IS_MISCONFIGURED,
    Status.DOMAIN_HAS_NULL_MX,
    Status.MAILBOX_DOES_NOT_EXIST,
    Status.DUPLICATE,
}
_RISKY = {
    Status.DOMAIN_IS_WELL_KNOWN_DEA,
    Status.MAIL_EXCHANGER_IS_WELL_KNOWN_DEA,
    Status.MAILBOX_IS_DEA,
    Status.SERVER_IS_CATCH_ALL,
    Status.MAIL_EXCHANGER_IS_HONEYPOT,
    Status.MAIL_EXCHANGER_IS_PARKED,
    Status.LOCAL_PART_IS_WELL_KNOWN_ROLE_ACCOUNT,
    Status.MAILBOX_TEMPORARILY_UNAVAILABLE,
    Status.MAILBOX_HAS_INSUFFICIENT_STORAGE,
}

# The one classification table (README, "Statuses and classifications").
CLASSIFICATIONS: dict[Status, Classification] = {
    status: (
        Classification.DELIVERABLE
        if status is Status.SUCCESS
        else Classification.UNDELIVERABLE
        if status in _UNDELIVERABLE
        else Classification.RISKY
        if status in _RISKY
        else Classification.UNKNOWN
    )
    for status in Status
}

# API v1.4 predates these codes; each is reported as its nearest v1.4 ancestor.
_V1_EQUIVALENTS: dict[Status, Status] = {
    Status.DOMAIN_HAS_NULL_MX: Status.DOMAIN_IS_MISCONFIGURED,
    Status.MAIL_EXCHANGER_IS_PARKED: Status.DOMAIN_IS_MISCONFIGURED,
    Status.MAILBOX_HAS_INSUFFICIENT_STORAGE: Status.MAILBOX_TEMPORARILY_UNAVAILABLE,
    Status.SERVER_TEMPORARY_UNAVAILABLE: Status.MAILBOX_TEMPORARILY_UNAVAILABLE,
    Status.UNACCEPTABLE_DOMAIN_LITERAL: Status.DOMAIN_PART_COMPLIANCY_FAILURE,
    Status.MAIL_EXCHANGER_IS_WELL_KNOWN_DEA: Status.DOMAIN_IS_WELL_KNOWN_DEA,
    Status.MAILBOX_IS_DEA: Status.DOMAIN_IS_WELL_KNOWN_DEA,
    Status.LOCAL_PART_IS_WELL_KNOWN_ROLE_ACCOUNT: Status.SUCCESS,
    Status.OVERRIDE_MATCH: Status.SUCCESS,
}


def classify(status: Status) -> Classification:
    """Return the classification of a status, per the classification table."""
    return CLASSIFICATIONS[status]


def v1_status(status: Status) -> Status:
    """Return the status as API v1.4 spells it."""
    return _V1_EQUIVALENTS.get(status, status)


def v1_shorthands(status: Status) -> dict[str, bool]:
    """Return the v1.4 shorthand booleans (`isSuccess`, `isSyntaxFailure`, ...) of a v1.4 status."""
    return {
        "isSuccess": status is Status.SUCCESS,
        "isSyntaxFailure": status in SYNTAX_STATUSES,
        "isDnsFailure": status in DNS_STATUSES,
        "isSmtpFailure": status in SMTP_STATUSES,
        "isMailboxFailure": status in MAILBOX_STATUSES,
        "isCatchAllFailure": status in CATCH_ALL_STATUSES,
        "isTimeoutFailure": status in TIMEOUT_STATUSES,
        "isNetworkFailure": status in NETWORK_STATUSES,
    }
