"""Mutable state the farm's SMTP hosts share: latency, greylist memory and per-host records."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field


@dataclass(slots=True)
class FarmState:
    """Knobs and records shared by every SMTP host of one farm."""

    latency: float = 0.0
    greylist_delay: float = 0.5
    sessions: Counter[str] = field(default_factory=Counter)
    open_sessions: Counter[str] = field(default_factory=Counter)
    peak_sessions: Counter[str] = field(default_factory=Counter)
    transcripts: defaultdict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    clients: defaultdict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    _greylist_first_seen: dict[tuple[str, str], float] = field(default_factory=dict)

    def session_opened(self, host_ip: str, client_ip: str) -> None:
        """Count a new session on the host, note its client address, keep the most ever open at once."""
        self.clients[host_ip].append(client_ip)
        self.sessions[host_ip] += 1
        self.open_sessions[host_ip] += 1
        self.peak_sessions[host_ip] = max(self.peak_sessions[host_ip], self.open_sessions[host_ip])

    def session_closed(self, host_ip: str) -> None:
        """A session on the host ended."""
        self.open_sessions[host_ip] -= 1

    def greylist_passed(self, client_ip: str, recipient: str) -> bool:
        """Whether the (client, recipient) pair was first seen at least `greylist_delay` seconds ago.

        The first attempt of a pair starts its clock and is refused (RFC 6647 §2).
        """
        key = (client_ip, recipient.lower())
        now = time.monotonic()
        first_seen = self._greylist_first_seen.get(key)
        if first_seen is None:
            self._greylist_first_seen[key] = now
            return False
        return now - first_seen >= self.greylist_delay
