"""SMTP replies and what they mean for a recipient: code and enhanced status code first, text second."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from verifalia_server.engine.statuses import Status

# RFC 3463 §2: class "." subject "." detail, class 2, 4 or 5, subject and detail up to three digits.
_ENHANCED_CODE = re.compile(r"([245])\.(\d{1,3})\.(\d{1,3})(?=\s|$)")


@dataclass(frozen=True, slots=True)
class Reply:
    """One (possibly multiline) SMTP reply: the code and the text of each line (RFC 5321 §4.2)."""

    code: int
    lines: tuple[str, ...]

    @property
    def enhanced_code(self) -> str | None:
        """The RFC 3463 enhanced status code at the start of the text, when its class matches the code."""
        first = self.lines[0] if self.lines else ""
        match = _ENHANCED_CODE.match(first)
        # RFC 2034 §4: the enhanced code's class must agree with the first digit of the reply code.
        if match is None or match.group(1) != str(self.code)[0]:
            return None
        return match.group(0)

    @property
    def text(self) -> str:
        """The reply text, lines joined by a space, without the enhanced status codes."""
        enhanced = self.enhanced_code
        parts = [
            line[len(enhanced) :].strip() if enhanced and line.startswith(enhanced) else line.strip()
            for line in self.lines
        ]
        return " ".join(part for part in parts if part)

    @property
    def is_positive(self) -> bool:
        """2yz: the command was accepted (RFC 5321 §4.2.1)."""
        return 200 <= self.code < 300

    @property
    def is_transient(self) -> bool:
        """4yz: transient negative completion (RFC 5321 §4.2.1)."""
        return 400 <= self.code < 500


class Meaning(Enum):
    """What a reply says about the recipient or the sender, beyond a final status."""

    TOO_MANY_RECIPIENTS = "too many recipients"
    THROTTLED = "the server limits this client"


@dataclass(frozen=True, slots=True)
class TextRule:
    """A phrase that identifies a reply without a decisive enhanced code, and the message it came from."""

    pattern: re.Pattern[str]
    outcome: Status | Meaning
    source: str


def _rule(pattern: str, outcome: Status | Meaning, source: str) -> TextRule:
    return TextRule(re.compile(pattern, re.IGNORECASE), outcome, source)


# Consulted in order, first match wins; the client-policy rules come first so that a refusal of *us*
# is never read as a verdict on the mailbox.
TEXT_RULES: tuple[TextRule, ...] = (
    _rule(
        r"blocked using|block ?list|black ?list|spamhaus|dnsbl|\brbl\b|poor reputation",
        Status.LOCAL_END_POINT_REJECTED,
        "Postfix reject_rbl_client: 554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using "
        "zen.spamhaus.org",
    ),
    _rule(
        r"client host|reverse (dns|hostname)|not yet authorized|relay(ing)? (access )?denied",
        Status.LOCAL_END_POINT_REJECTED,
        "Postfix reject_unknown_client_hostname: 450 4.7.1 Client host rejected: cannot find your hostname",
    ),
    _rule(
        r"sender address rejected|sender (is )?(rejected|denied|not allowed)|not owned by user",
        Status.LOCAL_SENDER_ADDRESS_REJECTED,
        "Postfix reject_sender_login_mismatch: 553 5.7.1 <sender>: Sender address rejected: "
        "not owned by user",
    ),
    # Microsoft 365 Directory Based Edge Blocking refuses recipients absent from the tenant's directory
    # with X.4.1 and "Access denied"; the refusal concerns the recipient, not the client.
    _rule(
        r"recipient address rejected: access denied",
        Status.MAILBOX_DOES_NOT_EXIST,
        "Microsoft 365: 550 5.4.1 Recipient address rejected: Access denied. AS(201806281)",
    ),
    _rule(
        r"too many recipients",
        Meaning.TOO_MANY_RECIPIENTS,
        "RFC 5321 §4.5.3.1.10: 452 Too many recipients",
    ),
    _rule(
        r"mailbox (is )?full|over ?quota|quota exceeded|exceeded storage|insufficient (system )?storage",
        Status.MAILBOX_HAS_INSUFFICIENT_STORAGE,
        "Dovecot LMTP: 552 Mailbox is full / Exim: 552 Mailbox quota exceeded",
    ),
    _rule(
        r"unrouteable address|user unknown|unknown user|no such (user|mailbox|recipient|address)"
        r"|does ?n[o']t (exist|have an? .{1,40} account)|recipient (unknown|not found)"
        r"|(invalid|unknown) (mailbox|recipient)|no mailbox here",
        Status.MAILBOX_DOES_NOT_EXIST,
        "Exim: 550 Unrouteable address / Yahoo: 554 delivery error: dd This user doesn't have a yahoo.com "
        "account / qmail: 550 sorry, no mailbox here by that name",
    ),
)


# Transient replies that limit the *client* (its rate, connections or errors), never a statement about a
# mailbox: the recipients are asked again once the exchanger is ready, more slowly.
THROTTLE_RULES: tuple[TextRule, ...] = (
    _rule(
        r"too many errors",
        Meaning.THROTTLED,
        "Postfix smtpd_hard_error_limit: 421 4.7.0 mx.example.com Error: too many errors",
    ),
    _rule(
        r"too many (connections|concurrent|sessions|messages|recipients) from",
        Meaning.THROTTLED,
        "Postfix anvil: 421 4.7.0 mx.example.com Error: too many connections from 192.0.2.1 / "
        "450 4.7.1 Error: too many recipients from [192.0.2.1]",
    ),
    _rule(
        r"too many concurrent smtp connections",
        Meaning.THROTTLED,
        "Exim smtp_accept_max_per_host: 421 Too many concurrent SMTP connections; please try again later.",
    ),
    _rule(
        r"rate ?limit|server busy|unexpected volume",
        Meaning.THROTTLED,
        "Microsoft 365: 451 4.7.500 Server busy. Please try again later / Yahoo: 421 4.7.0 [TSS04] Messages "
        "from 192.0.2.1 temporarily deferred due to unexpected volume or user complaints",
    ),
)


def throttles(code: int | None, text: str | None) -> bool:
    """Whether a reply (code and text without the enhanced code) limits the client rather than a mailbox."""
    if code is None or not 400 <= code < 500 or not text:
        return False
    return any(rule.pattern.search(text) for rule in THROTTLE_RULES)


def _text_outcome(reply: Reply) -> Status | Meaning | None:
    text = reply.text
    for rule in TEXT_RULES:
        if rule.pattern.search(text):
            return rule.outcome
    return None


def _enhanced_outcome(reply: Reply) -> Status | Meaning | None:
    """The outcome an RFC 3463 enhanced status code decides on its own, if any."""
    enhanced = reply.enhanced_code
    if enhanced is None:
        return None
    _, subject, detail = enhanced.split(".")
    if subject == "1" and detail in {"7", "8"}:
        # RFC 3463 §3.2: X.1.7 bad sender's mailbox syntax, X.1.8 bad sender's system address.
        return Status.LOCAL_SENDER_ADDRESS_REJECTED
    if subject == "2" and detail == "2":
        # RFC 3463 §3.3: X.2.2 mailbox full.
        return Status.MAILBOX_HAS_INSUFFICIENT_STORAGE
    if subject == "5" and detail == "3":
        # RFC 3463 §3.6: X.5.3 too many recipients.
        return Meaning.TOO_MANY_RECIPIENTS
    if reply.is_transient:
        return None
    if subject == "1" or (subject == "2" and detail == "1"):
        # RFC 3463 §3.2: 5.1.x addressing status of the recipient; §3.3: 5.2.1 mailbox disabled.
        return Status.MAILBOX_DOES_NOT_EXIST
    if subject == "7":
        # RFC 3463 §3.8: 5.7.x security or policy status: about us, unless it names the sender.
        outcome = _text_outcome(reply)
        if outcome is Status.LOCAL_SENDER_ADDRESS_REJECTED:
            return outcome
        return Status.LOCAL_END_POINT_REJECTED
    return None


def classify_recipient(reply: Reply) -> Status | Meaning:
    """Return what a reply to RCPT TO says about the recipient (Status.SUCCESS when accepted)."""
    if reply.is_positive:
        return Status.SUCCESS
    if throttles(reply.code, reply.text):
        return Meaning.THROTTLED
    if reply.code == 421:
        # RFC 5321 §3.8: the service is shutting the channel down.
        return Status.SERVER_TEMPORARY_UNAVAILABLE
    outcome = _enhanced_outcome(reply) or _text_outcome(reply)
    if reply.is_transient:
        if outcome in {Status.MAILBOX_HAS_INSUFFICIENT_STORAGE, Meaning.TOO_MANY_RECIPIENTS}:
            return outcome
        # RFC 5321 §4.2.1: 4yz is transient (greylisting, rate limits, local errors): try again later.
        return Status.MAILBOX_TEMPORARILY_UNAVAILABLE
    if outcome is not None:
        return outcome
    if 500 <= reply.code <= 504:
        # RFC 5321 §4.2.2: 50z are syntax and sequence errors of the dialogue.
        return Status.SMTP_DIALOG_ERROR
    if reply.code in {551, 553}:
        # RFC 5321 §4.2.2: 551 user not local, 553 mailbox name not allowed.
        return Status.MAILBOX_DOES_NOT_EXIST
    return Status.LOCAL_END_POINT_REJECTED


def classify_sender(reply: Reply) -> Status | None:
    """Return the status a refusal of MAIL FROM decides, or None when the sender was accepted."""
    if reply.is_positive:
        return None
    if reply.is_transient:
        # RFC 5321 §4.2.1: transient; the caller tries the next mail exchanger.
        return Status.SERVER_TEMPORARY_UNAVAILABLE
    outcome = _text_outcome(reply)
    if outcome is Status.LOCAL_END_POINT_REJECTED or reply.code == 530:
        # RFC 3207 §4 / RFC 4954 §6: 530 asks for TLS or authentication: a refusal of the client.
        return Status.LOCAL_END_POINT_REJECTED
    if 500 <= reply.code <= 504:
        # RFC 5321 §4.2.2: 50z are syntax and sequence errors of the dialogue.
        return Status.SMTP_DIALOG_ERROR
    return Status.LOCAL_SENDER_ADDRESS_REJECTED
