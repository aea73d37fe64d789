"""Business failures, raised by the application layer and answered by each API surface in its own way."""

from __future__ import annotations

from decimal import Decimal


class DomainError(Exception):
    """A request the service refuses for a business reason."""


class InvalidInput(DomainError):
    """Input the service cannot take (too long, or text the database cannot store); the message names it."""


class InsufficientCredits(DomainError):
    """The balance cannot cover the work: nothing was stored or charged."""

    def __init__(self, required: Decimal, available: Decimal) -> None:
        super().__init__(
            f"Insufficient credits: the job needs {required:.3f} credits, {available:.3f} are available."
        )
        self.required = required
        self.available = available


class Forbidden(DomainError):
    """The caller's credentials lack the permission the operation needs; the message names it."""

    def __init__(self, permission: str) -> None:
        super().__init__(f"The credentials lack the '{permission}' permission for this operation.")
        self.permission = permission


class NotFound(DomainError):
    """No such job for this account (another account's jobs are not found either)."""


class Gone(DomainError):
    """The job was deleted or has expired."""


class StillInProgress(DomainError):
    """The job cannot be deleted while in progress."""


class LimitReached(DomainError):
    """A quota of the caller is spent (for instance its lists in progress)."""
