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


class Conflict(DomainError):
    """The change would break a rule of the current state (the last active administrator, a user removing
    itself, a username in use); the message says which."""


class PreconditionFailed(DomainError):
    """The target changed since the version the caller based its change on (a stale entity tag)."""


class Gone(DomainError):
    """The job was deleted or has expired."""


class StillInProgress(DomainError):
    """The job cannot be deleted while in progress."""


class LimitReached(DomainError):
    """A quota of the caller is spent (for instance its lists in progress)."""


class CaptchaRefused(DomainError):
    """The submission's CAPTCHA is missing where required, refused by its provider, of an unknown or
    unconfigured provider, or scored too low: nothing was stored or charged."""


class CaptchaUnavailable(DomainError):
    """The CAPTCHA provider gave no verdict (unreachable, too slow, failing): nothing was stored."""

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class MailUnavailable(DomainError):
    """No mail relay is configured, or it did not take the message: nothing was stored."""


class OriginNotAllowed(DomainError):
    """A browser app's key was used from an origin it does not trust (or with none); the message names it."""


class Throttled(DomainError):
    """A submission over one of the caller's rate limits: nothing was stored or charged."""

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
