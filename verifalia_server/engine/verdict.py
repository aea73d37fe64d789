"""What the engine takes in and hands back: requests, verdicts and their evidence."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from verifalia_server.engine.statuses import Classification, Status, classify


class Quality(StrEnum):
    """Result quality levels; each sets how long temporary failures are retried."""

    STANDARD = "Standard"
    HIGH = "High"
    EXTREME = "Extreme"

    @classmethod
    def parse(cls, text: str) -> Quality:
        """Parse a quality name case-insensitively (`standard`, `High`, ...)."""
        for quality in cls:
            if quality.value.lower() == text.strip().lower():
                return quality
        raise ValueError(f"unknown quality level {text!r}; expected Standard, High or Extreme")


@dataclass(frozen=True, slots=True)
class VerificationRequest:
    """One address to verify; `attempt` counts earlier passes that ended in a temporary failure."""

    input_data: str
    quality: Quality = Quality.STANDARD
    attempt: int = 0
    # When the entry was submitted (seconds since the epoch): bounds how long throttling may delay it.
    submitted_at: float | None = None


@dataclass(frozen=True, slots=True)
class Evidence:
    """The exchange that decided a verdict: where, which command, and what the server replied."""

    mx_host: str | None = None
    command: str | None = None
    reply_code: int | None = None
    enhanced_code: str | None = None
    reply_text: str | None = None
    # The source address or proxy the connection went out through; None when it connected directly.
    egress: str | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    """The engine's answer for one input string."""

    input_data: str
    status: Status
    email_address: str | None = None
    local_part: str | None = None
    domain_part: str | None = None
    ascii_domain_part: str | None = None
    has_international_domain_name: bool = False
    has_international_mailbox_name: bool = False
    is_disposable: bool = False
    is_free: bool = False
    is_role: bool = False
    syntax_failure_index: int | None = None
    suggestions: tuple[str, ...] = ()
    evidence: Evidence | None = None
    # Seconds after which another pass may settle a temporary failure; None when the verdict is final.
    retry_in: float | None = None
    # The retry waits for a throttling mail exchanger: it does not spend one of the quality's attempts.
    deferred: bool = False

    @property
    def classification(self) -> Classification:
        """The classification of this verdict's status."""
        return classify(self.status)

    @property
    def is_final(self) -> bool:
        """Whether no further pass is scheduled for this verdict."""
        return self.retry_in is None
