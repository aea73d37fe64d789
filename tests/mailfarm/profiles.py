"""Behaviour profiles of the farm's SMTP hosts."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from tests.mailfarm.styles import MtaStyle

DEFAULT_MAILBOXES = frozenset({"alice", "bob", "info", "postmaster"})


class Banner(enum.Enum):
    """What a host does when a client connects."""

    READY = "ready"  # 220 greeting at once
    DELAYED = "delayed"  # 220 greeting after `HostProfile.banner_delay` seconds
    REFUSE = "refuse"  # 421 greeting, then the connection is closed
    SILENT = "silent"  # says nothing, ever


class Hello(enum.Enum):
    """How a host answers EHLO and HELO."""

    ESMTP = "esmtp"  # EHLO and HELO both work
    HELO_ONLY = "helo-only"  # EHLO is an unknown command, HELO works
    GARBAGE = "garbage"  # both get bytes that are not an SMTP reply


class Unanswered(enum.Enum):
    """What a host does, instead of replying, to a RCPT for a mailbox outside its answered set."""

    DROP = "drop"  # closes the connection without a reply
    HANG = "hang"  # keeps the connection open and never replies


@dataclass(frozen=True, slots=True)
class HostProfile:
    """Everything that decides how one SMTP host behaves."""

    style: MtaStyle
    domains: frozenset[str] = frozenset()
    mailboxes: frozenset[str] = DEFAULT_MAILBOXES
    catch_all: bool = False
    banner: Banner = Banner.READY
    banner_delay: float = 0.0
    hello: Hello = Hello.ESMTP
    starttls: bool = False
    smtputf8: bool | None = None
    greylist: bool = False
    full_mailboxes: frozenset[str] = frozenset()
    max_recipients: int | None = None
    blocklisted: bool = False
    rejects_sender: bool = False
    defers_sender: bool = False
    closes_after_rejection: bool = False
    unanswered: Unanswered | None = None
    answered_mailboxes: frozenset[str] = frozenset()

    @property
    def advertises_smtputf8(self) -> bool:
        """Whether EHLO lists SMTPUTF8 (RFC 6531 §3.2): explicit, else the MTA's default."""
        return self.style.smtputf8_by_default if self.smtputf8 is None else self.smtputf8

    def serves(self, domain: str) -> bool:
        """Whether the host accepts mail for `domain` (compared case-insensitively, RFC 5321 §2.4)."""
        return domain.lower() in self.domains

    def has_mailbox(self, local_part: str) -> bool:
        """Whether the mailbox exists (local parts matched case-insensitively, as these MTAs do)."""
        return self.catch_all or local_part.lower() in self.mailboxes

    def unanswered_for(self, local_part: str) -> Unanswered | None:
        """What the host does instead of replying to a RCPT for the mailbox; None when it replies."""
        return None if local_part.lower() in self.answered_mailboxes else self.unanswered
