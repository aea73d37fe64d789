"""Counters of the engine's network work, for whoever wants to export them (the engine exports nothing)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


def mx_group(host_name: str) -> str:
    """The group an exchanger is counted under: its last two labels (`mx1.example.com` -> `example.com`)."""
    labels = host_name.rstrip(".").lower().split(".")
    return ".".join(labels[-2:])


@dataclass(slots=True)
class EngineStats:
    """Monotonic counters, shared by every batch of one engine; read them, never reset them."""

    smtp_sessions: Counter[str] = field(default_factory=Counter)
    smtp_recipients: Counter[str] = field(default_factory=Counter)
    smtp_throttles: Counter[str] = field(default_factory=Counter)
    dns_queries: int = 0
    dns_cache_hits: int = 0

    def session_opened(self, host_name: str) -> None:
        """Count one SMTP session that reached MAIL FROM on `host_name`."""
        self.smtp_sessions[mx_group(host_name)] += 1

    def recipient_asked(self, host_name: str) -> None:
        """Count one RCPT TO sent to `host_name`."""
        self.smtp_recipients[mx_group(host_name)] += 1

    def throttled(self, host_name: str) -> None:
        """Count one reply of `host_name` that throttled or limited this client."""
        self.smtp_throttles[mx_group(host_name)] += 1
