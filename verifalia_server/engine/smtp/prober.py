"""Batch prober: many recipients per SMTP session, RSET between transactions, one catch-all probe a domain."""

from __future__ import annotations

import asyncio
import hashlib
import math
import secrets
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from verifalia_server.engine.config import EngineConfig
from verifalia_server.engine.dns import MailRoute
from verifalia_server.engine.smtp.client import ConnectionDropped, ReplyTimeout, SmtpError
from verifalia_server.engine.smtp.handshake import (
    Connection,
    Handshaker,
    Outcome,
    error_evidence,
    reply_evidence,
)
from verifalia_server.engine.smtp.limiter import SessionLimiter
from verifalia_server.engine.smtp.replies import Meaning, classify_recipient, classify_sender
from verifalia_server.engine.statuses import TIMEOUT_STATUSES, Status
from verifalia_server.engine.verdict import Evidence

_PROBE_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
_PROBE_LENGTH = 20
# Probe replies that refuse the random address (the domain is no catch-all), and ones that cannot tell yet.
_PROBE_REFUSED = {
    Status.MAILBOX_DOES_NOT_EXIST,
    Status.LOCAL_END_POINT_REJECTED,
    Status.MAILBOX_HAS_INSUFFICIENT_STORAGE,
}
_UNSETTLED_PROBE = {Status.MAILBOX_TEMPORARILY_UNAVAILABLE, Status.SERVER_TEMPORARY_UNAVAILABLE}
_TRIGGERS_PROBE = {Status.SUCCESS, Status.MAILBOX_TEMPORARILY_UNAVAILABLE}


@dataclass(frozen=True, slots=True)
class Recipient:
    """One address to ask a mail exchanger about; `key` is the caller's handle for the result."""

    key: int
    local_part: str
    domain: str
    route: MailRoute
    international: bool = False

    @property
    def address(self) -> str:
        """The forward-path mailbox (RFC 5321 §4.1.2), with the domain in A-labels."""
        return f"{self.local_part}@{self.domain}"


@dataclass(frozen=True, slots=True)
class _Item:
    recipient: Recipient
    is_probe: bool = False


@dataclass(frozen=True, slots=True)
class _SessionEnd:
    answered: bool
    error: SmtpError | None = None


class _Group:
    """Recipients that share the same mail exchangers, and what has been learned about them."""

    def __init__(self, recipients: Sequence[Recipient]) -> None:
        self.route = recipients[0].route
        self.pending = deque(_Item(recipient) for recipient in recipients)
        self.international = any(recipient.international for recipient in recipients)
        self.results: dict[int, Outcome] = {}
        self.accepted: list[tuple[Recipient, Evidence]] = []
        self.catch_all: dict[str, Outcome | None] = {}
        self.settled = asyncio.Event()

    def take(self, limit: int, connection: Connection) -> deque[_Item]:
        """Up to `limit` items for the next transaction; answers UTF-8 mailboxes the host cannot take."""
        chunk: deque[_Item] = deque()
        while self.pending and len(chunk) < limit:
            item = self.pending.popleft()
            if item.recipient.international and not connection.smtputf8:
                # RFC 6531 §3.4: UTF-8 mailboxes need a server that advertises SMTPUTF8.
                status = Status.SERVER_DOES_NOT_SUPPORT_INTERNATIONAL_MAILBOXES
                self.record(item, Outcome(status, connection.hello_evidence))
            else:
                chunk.append(item)
        return chunk

    def give_back(self, items: Sequence[_Item]) -> None:
        """Put unanswered items back at the front, in order."""
        self.pending.extendleft(reversed(items))

    def record(self, item: _Item, outcome: Outcome) -> None:
        """Keep the outcome of one RCPT (or of the failure that prevented it)."""
        recipient = item.recipient
        if item.is_probe:
            self.catch_all[recipient.domain] = _probe_outcome(outcome)
        elif outcome.status is Status.SUCCESS:
            self.accepted.append((recipient, outcome.evidence))
        else:
            self.results[recipient.key] = outcome

    def probe_due(self, item: _Item, status: Status) -> bool:
        """Whether this answer calls for the domain's catch-all probe (target first, then the probe)."""
        return not item.is_probe and status in _TRIGGERS_PROBE and item.recipient.domain not in self.catch_all

    def fail_pending(self, status: Status, evidence: Evidence) -> None:
        """Give every unanswered item the same outcome."""
        while self.pending:
            self.record(self.pending.popleft(), Outcome(status, evidence))

    def outcomes(self) -> dict[int, Outcome]:
        """Final outcomes, accepted recipients judged by their domain's catch-all probe."""
        results = dict(self.results)
        for recipient, evidence in self.accepted:
            probe = self.catch_all.get(recipient.domain)
            if probe is None:
                results[recipient.key] = Outcome(Status.CATCH_ALL_CONNECTION_FAILURE, evidence)
            elif probe.status is Status.SUCCESS:
                results[recipient.key] = Outcome(Status.SERVER_IS_CATCH_ALL, probe.evidence)
            elif probe.status in _PROBE_REFUSED:
                results[recipient.key] = Outcome(Status.SUCCESS, evidence)
            else:
                results[recipient.key] = probe
        return results


def _probe_outcome(outcome: Outcome) -> Outcome:
    """Restate the catch-all probe's outcome: accepted, refused, or why it could not tell."""
    status = outcome.status
    if status is Status.SUCCESS or status in _PROBE_REFUSED:
        return outcome
    if status in TIMEOUT_STATUSES or status in _UNSETTLED_PROBE:
        return Outcome(Status.CATCH_ALL_VALIDATION_TIMEOUT, outcome.evidence)
    return Outcome(Status.CATCH_ALL_CONNECTION_FAILURE, outcome.evidence)


class Prober:
    """Asks mail exchangers about recipients, reusing each session for as many of them as it can."""

    def __init__(self, config: EngineConfig) -> None:
        self._config = config
        self._limiter = SessionLimiter(config.smtp_sessions_per_host, config.smtp_sessions_total)
        self._handshaker = Handshaker(config, self._limiter)
        self._secret = secrets.token_bytes(16)

    @property
    def limiter(self) -> SessionLimiter:
        """The session caps shared by every probe of this prober."""
        return self._limiter

    def probe_local_part(self, domain: str) -> str:
        """A random-looking local part for the catch-all probe, stable per domain for this prober.

        Stability lets a greylisting server that deferred the probe accept it on a later pass.
        """
        digest = hashlib.blake2b(domain.encode(), key=self._secret, digest_size=_PROBE_LENGTH).digest()
        return "".join(_PROBE_ALPHABET[byte % len(_PROBE_ALPHABET)] for byte in digest)

    async def probe(self, recipients: Sequence[Recipient]) -> dict[int, Outcome]:
        """Ask about recipients that share one route; return an outcome for every recipient key."""
        if not recipients:
            return {}
        group = _Group(recipients)
        per_transaction = max(1, self._config.smtp_recipients_per_session)
        workers = max(
            1, min(self._config.smtp_sessions_per_host, math.ceil(len(recipients) / per_transaction))
        )
        async with asyncio.TaskGroup() as sessions:
            for number in range(workers):
                sessions.create_task(self._work(group, first=number == 0))
        return group.outcomes()

    async def _work(self, group: _Group, *, first: bool) -> None:
        if not first:
            # Extra sessions start only once the first one showed the exchanger can be reached.
            await group.settled.wait()
        sessions = 0
        unproductive_allowed = 1
        while group.pending:
            opened = await self._handshaker.open(group.route, group.international)
            group.settled.set()
            if isinstance(opened, Outcome):
                status = opened.status if sessions == 0 else Status.MAILBOX_CONNECTION_FAILURE
                group.fail_pending(status, opened.evidence)
                return
            sessions += 1
            try:
                end = await self._converse(opened, group)
            finally:
                self._handshaker.close(opened)
            if end.error is None:
                continue
            if end.answered:
                unproductive_allowed = 1
            elif unproductive_allowed > 0:
                unproductive_allowed -= 1
            else:
                # The session failed again before any recipient was answered: stop reconnecting.
                timed_out = isinstance(end.error, ReplyTimeout)
                status = Status.MAILBOX_VALIDATION_TIMEOUT if timed_out else Status.MAILBOX_CONNECTION_FAILURE
                group.fail_pending(status, error_evidence(opened.host_name, end.error))
                return

    async def _converse(self, connection: Connection, group: _Group) -> _SessionEnd:
        """Run transactions on an open session until the group has no pending item or the session fails."""
        session = connection.session
        limit = max(1, self._config.smtp_recipients_per_session)
        answered = False
        chunk: deque[_Item] = deque()
        asked = 0
        in_flight: _Item | None = None
        try:
            while True:
                if not chunk:
                    if not group.pending:
                        break
                    if asked:
                        refusal = await self._next_transaction(connection)
                        if refusal is not None:
                            group.fail_pending(refusal.status, refusal.evidence)
                            break
                        asked = 0
                    chunk = group.take(limit, connection)
                    if not chunk:
                        break
                in_flight = chunk.popleft()
                command = f"RCPT TO:<{in_flight.recipient.address}>"
                reply = await session.command(command)
                item, in_flight = in_flight, None
                answered = True
                outcome = classify_recipient(reply)
                evidence = reply_evidence(_host_name(connection, item.recipient), command, reply)
                if outcome is Meaning.TOO_MANY_RECIPIENTS and asked:
                    # RFC 5321 §4.5.3.1.10: no more recipients here; the rest go into a new transaction.
                    group.give_back([item, *chunk])
                    chunk.clear()
                    continue
                status = Status.MAILBOX_TEMPORARILY_UNAVAILABLE if isinstance(outcome, Meaning) else outcome
                group.record(item, Outcome(status, evidence))
                asked += 1
                if status is Status.SERVER_TEMPORARY_UNAVAILABLE:
                    # RFC 5321 §3.8: 421 closes the channel; the others wait for a later pass too.
                    group.give_back(chunk)
                    group.fail_pending(status, evidence)
                    return _SessionEnd(answered)
                if group.probe_due(item, status):
                    chunk.appendleft(self._probe_item(item.recipient))
                    group.catch_all[item.recipient.domain] = None
        except ConnectionDropped as error:
            group.give_back([*([in_flight] if in_flight else []), *chunk])
            return _SessionEnd(answered, error)
        except SmtpError as error:
            if in_flight is not None:
                timed_out = isinstance(error, ReplyTimeout)
                status = Status.MAILBOX_VALIDATION_TIMEOUT if timed_out else Status.SMTP_DIALOG_ERROR
                evidence = error_evidence(_host_name(connection, in_flight.recipient), error)
                group.record(in_flight, Outcome(status, evidence))
            group.give_back(chunk)
            return _SessionEnd(answered, error)
        await session.quit()
        return _SessionEnd(answered)

    def _probe_item(self, target: Recipient) -> _Item:
        local_part = self.probe_local_part(target.domain)
        return _Item(Recipient(-1, local_part, target.domain, target.route), is_probe=True)

    async def _next_transaction(self, connection: Connection) -> Outcome | None:
        """End the transaction and start the next one (RFC 5321 §4.1.1.5 RSET, §4.1.1.2 MAIL)."""
        session = connection.session
        await session.command("RSET")
        reply = await session.command(connection.mail_command)
        refused = classify_sender(reply)
        if refused is None:
            return None
        return Outcome(refused, reply_evidence(connection.host_name, connection.mail_command, reply))


def _host_name(connection: Connection, recipient: Recipient) -> str:
    """The name under which the recipient's domain knows the connected exchanger."""
    for exchanger in recipient.route.exchangers:
        if connection.ip in exchanger.addresses:
            return exchanger.name
    return connection.host_name
