"""Batch prober: pipelined recipients in shared sessions, paced to what each mail exchanger tolerates.

A session asks as many recipients as the exchanger's error budget allows (servers drop clients that make
too many refused commands), pipelined where the server advertises it, then ends politely and a fresh one
takes over. Replies that throttle the client put their recipients back in the queue, pause that exchanger
for every batch of the node, and never count as a verdict or as one of the quality level's retries.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import secrets
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from verifalia_server.engine.config import EngineConfig
from verifalia_server.engine.dns import MailRoute
from verifalia_server.engine.smtp.catchall import CatchAllMemory
from verifalia_server.engine.smtp.client import ConnectionDropped, ReplyTimeout, SmtpError
from verifalia_server.engine.smtp.handshake import (
    Connection,
    Handshaker,
    Outcome,
    error_evidence,
    reply_evidence,
)
from verifalia_server.engine.smtp.limiter import SessionLimiter
from verifalia_server.engine.smtp.pacing import ExchangerPace
from verifalia_server.engine.smtp.replies import Meaning, classify_recipient, classify_sender, throttles
from verifalia_server.engine.stats import EngineStats
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
# Recipients one session is expected to settle; a group opens one session for every so many, up to the cap.
_RECIPIENTS_PER_SESSION = 16
# A session waits this long at most for a throttled exchanger; longer pauses end it and open a new one later.
_HOLD_SESSION_SECONDS = 5.0


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
class ProbeResults:
    """Outcomes by recipient key; `deferred` holds the keys a throttling exchanger kept waiting past the
    deadline, with when (`time.monotonic()`) it is expected to take them (their outcome is its reply)."""

    outcomes: dict[int, Outcome]
    deferred: dict[int, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Item:
    recipient: Recipient
    is_probe: bool = False


@dataclass(frozen=True, slots=True)
class _SessionEnd:
    answered: bool
    error: SmtpError | None = None
    # Seconds the exchanger asked us to stay away before the next session.
    pause: float = 0.0


class _Group:
    """Recipients that share the same mail exchangers, and what has been learned about them."""

    def __init__(
        self, recipients: Sequence[Recipient], deadline: float, known: Mapping[str, Outcome]
    ) -> None:
        self.route = recipients[0].route
        self.domain = recipients[0].domain
        self.deadline = deadline
        self.pending = deque(_Item(recipient) for recipient in recipients)
        self.international = any(recipient.international for recipient in recipients)
        self.results: dict[int, Outcome] = {}
        self.accepted: list[tuple[Recipient, Evidence]] = []
        # Each domain's probe outcome: known from earlier batches, None while it is being asked.
        self.catch_all: dict[str, Outcome | None] = dict(known)
        self.throttling: Outcome | None = None
        # When (time.monotonic()) the exchanger is expected to take recipients again; 0 when it never paused.
        self.resume_at = 0.0
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

    def throttled(self, items: Sequence[_Item], outcome: Outcome) -> None:
        """Items the exchanger would not take from this client now: they wait in the queue."""
        self.throttling = outcome
        self.give_back(items)

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

    @property
    def waiting_on_pace(self) -> bool:
        """Whether an exchanger throttled this group or made it wait for its learnt pace."""
        return self.throttling is not None or self.resume_at > 0

    def expired(self) -> bool:
        """Whether the group, kept waiting by an exchanger's pace, may wait no longer."""
        return self.waiting_on_pace and time.monotonic() >= self.deadline

    def results_now(self) -> ProbeResults:
        """Final outcomes (accepted ones judged by the catch-all probe), throttled ones deferred."""
        results = dict(self.results)
        deferred: dict[int, float] = {}
        waiting = {item.recipient.domain for item in self.pending if item.is_probe}
        throttling = self.throttling or Outcome(Status.SERVER_TEMPORARY_UNAVAILABLE, Evidence())
        for item in self.pending:
            if not item.is_probe:
                results[item.recipient.key] = throttling
                deferred[item.recipient.key] = self.resume_at
        for recipient, evidence in self.accepted:
            probe = self.catch_all.get(recipient.domain)
            if recipient.domain in waiting:
                results[recipient.key] = throttling
                deferred[recipient.key] = self.resume_at
            elif probe is None:
                results[recipient.key] = Outcome(Status.CATCH_ALL_CONNECTION_FAILURE, evidence)
            elif probe.status is Status.SUCCESS:
                results[recipient.key] = Outcome(Status.SERVER_IS_CATCH_ALL, probe.evidence)
            elif probe.status in _PROBE_REFUSED:
                results[recipient.key] = Outcome(Status.SUCCESS, evidence)
            else:
                results[recipient.key] = probe
        return ProbeResults(results, deferred)


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

    def __init__(self, config: EngineConfig, stats: EngineStats | None = None) -> None:
        self._config = config
        self._stats = stats if stats is not None else EngineStats()
        self._limiter = SessionLimiter(
            config.smtp_sessions_per_host, config.smtp_sessions_total, config.smtp_errors_per_session
        )
        self._handshaker = Handshaker(config, self._limiter)
        self._catch_all = CatchAllMemory()
        self._secret = secrets.token_bytes(16)

    @property
    def limiter(self) -> SessionLimiter:
        """The session caps and learnt paces shared by every probe of this prober."""
        return self._limiter

    def probe_local_part(self, domain: str) -> str:
        """A random-looking local part for the catch-all probe, stable per domain for this prober.

        Stability lets a greylisting server that deferred the probe accept it on a later pass.
        """
        digest = hashlib.blake2b(domain.encode(), key=self._secret, digest_size=_PROBE_LENGTH).digest()
        return "".join(_PROBE_ALPHABET[byte % len(_PROBE_ALPHABET)] for byte in digest)

    async def probe(self, recipients: Sequence[Recipient]) -> ProbeResults:
        """Ask about recipients that share one route; return an outcome for every recipient key."""
        if not recipients:
            return ProbeResults({})
        known = self._catch_all.known({recipient.domain for recipient in recipients})
        group = _Group(recipients, time.monotonic() + self._config.smtp_throttle_wait, known)
        per_session = min(_RECIPIENTS_PER_SESSION, max(1, self._config.smtp_recipients_per_session))
        workers = max(1, min(self._config.smtp_sessions_per_host, math.ceil(len(recipients) / per_session)))
        async with asyncio.TaskGroup() as sessions:
            for number in range(workers):
                sessions.create_task(self._work(group, first=number == 0))
        for domain, outcome in group.catch_all.items():
            if outcome is not None and (outcome.status is Status.SUCCESS or outcome.status in _PROBE_REFUSED):
                self._catch_all.remember(domain, outcome)
        return group.results_now()

    async def _work(self, group: _Group, *, first: bool) -> None:
        if not first:
            # Extra sessions start only once the first one showed the exchanger can be reached.
            await group.settled.wait()
        sessions = 0
        unproductive_allowed = 1
        while group.pending:
            opened = await self._open(group)
            if opened is None:
                return
            group.settled.set()
            if isinstance(opened, Outcome):
                if throttles(opened.evidence.reply_code, opened.evidence.reply_text):
                    # Refused for this client's connections: the exchanger's pace holds the next session back.
                    self._stats.throttled(opened.evidence.mx_host or "")
                    group.throttling = opened
                    continue
                status = opened.status if sessions == 0 else Status.MAILBOX_CONNECTION_FAILURE
                group.fail_pending(status, opened.evidence)
                return
            sessions += 1
            self._stats.session_opened(opened.host_name)
            pace = self._limiter.pace(opened.session_key)
            pace.session_opened()
            try:
                end = await self._converse(opened, group, pace)
            finally:
                self._handshaker.close(opened)
            if end.pause:
                # Stay away while the exchanger is paused, but never past the group's deadline.
                await asyncio.sleep(min(end.pause, max(0.0, group.deadline - time.monotonic())))
                if group.expired():
                    return
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
                group.fail_pending(status, error_evidence(opened.host_name, end.error, egress=opened.egress))
                return

    async def _open(self, group: _Group) -> Connection | Outcome | None:
        """Open a session for the group; None once a throttled group has waited until its deadline."""
        opening = self._handshaker.open(group.route, group.international, domain=group.domain)
        if not group.waiting_on_pace:
            return await opening
        if group.expired():
            opening.close()
            return None
        try:
            async with asyncio.timeout(group.deadline - time.monotonic()):
                return await opening
        except TimeoutError:
            return None

    async def _converse(self, connection: Connection, group: _Group, pace: ExchangerPace) -> _SessionEnd:
        """Run transactions until the queue is empty, the error budget is spent, or the session fails."""
        session = connection.session
        configured = max(1, self._config.smtp_recipients_per_session)
        depth = self._config.smtp_pipeline_depth if connection.pipelining else 1
        answered = False
        errors = 0
        in_transaction = 0
        chunk: deque[_Item] = deque()
        try:
            while group.pending:
                # Servers count refused commands per session (Postfix smtpd_hard_error_limit): end it first.
                budget = pace.error_budget - errors
                if budget <= 0:
                    break
                wait = pace.delay()
                if wait > 0:
                    group.resume_at = time.monotonic() + wait
                    if wait > _HOLD_SESSION_SECONDS or time.monotonic() + wait >= group.deadline:
                        await session.quit()
                        return _SessionEnd(answered, pause=wait)
                    await asyncio.sleep(wait)
                    continue
                limit = min(configured, pace.transaction_limit or configured)
                if in_transaction >= limit:
                    refusal = await self._next_transaction(connection)
                    if refusal is not None:
                        group.fail_pending(refusal.status, refusal.evidence)
                        break
                    in_transaction = 0
                admission = pace.admit(min(budget, depth, limit - in_transaction))
                chunk = group.take(admission.count, connection)
                if not chunk:
                    continue
                for _ in chunk:
                    self._stats.recipient_asked(connection.host_name)
                # RFC 2920 §3.1: RCPT commands may be grouped; the replies come back in the same order.
                await session.send([_rcpt_command(item) for item in chunk])
                over_limit: list[_Item] = []
                while chunk:
                    item = chunk[0]
                    command = _rcpt_command(item)
                    reply = await session.reply(command)
                    chunk.popleft()
                    answered = True
                    outcome = classify_recipient(reply)
                    evidence = reply_evidence(
                        _host_name(connection, item.recipient), command, reply, egress=connection.egress
                    )
                    if outcome is not Status.SUCCESS:
                        errors += 1
                    if outcome is Meaning.THROTTLED:
                        self._stats.throttled(connection.host_name)
                        group.throttled([item], Outcome(Status.SERVER_TEMPORARY_UNAVAILABLE, evidence))
                        if reply.code != 421:
                            pace.throttled(admission.epoch)
                            continue
                        # RFC 5321 §3.8: 421 closes the channel; dropped for errors, the budget shrinks.
                        if "too many errors" in reply.text.lower():
                            pace.errors_exceeded(errors)
                        else:
                            pace.throttled(admission.epoch)
                        group.give_back(chunk)
                        chunk.clear()
                        return _SessionEnd(answered, pause=pace.delay())
                    pace.accepted(admission.epoch)
                    if outcome is Meaning.TOO_MANY_RECIPIENTS and in_transaction:
                        # RFC 5321 §4.5.3.1.10: no more recipients here; the rest go into a new transaction.
                        if not over_limit:
                            pace.transaction_full(in_transaction)
                        over_limit.append(item)
                        continue
                    status = (
                        Status.MAILBOX_TEMPORARILY_UNAVAILABLE if isinstance(outcome, Meaning) else outcome
                    )
                    group.record(item, Outcome(status, evidence))
                    in_transaction += 1
                    if status is Status.SERVER_TEMPORARY_UNAVAILABLE:
                        # RFC 5321 §3.8: 421 closes the channel; the others wait for a later pass too.
                        group.give_back(chunk)
                        chunk.clear()
                        group.fail_pending(status, evidence)
                        return _SessionEnd(answered)
                    if group.probe_due(item, status):
                        group.give_back([self._probe_item(item.recipient)])
                        group.catch_all[item.recipient.domain] = None
                if over_limit:
                    group.give_back(over_limit)
                    in_transaction = limit
        except ConnectionDropped as error:
            group.give_back(chunk)
            return _SessionEnd(answered, error)
        except SmtpError as error:
            if chunk:
                in_flight = chunk.popleft()
                timed_out = isinstance(error, ReplyTimeout)
                status = Status.MAILBOX_VALIDATION_TIMEOUT if timed_out else Status.SMTP_DIALOG_ERROR
                evidence = error_evidence(
                    _host_name(connection, in_flight.recipient), error, egress=connection.egress
                )
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
        evidence = reply_evidence(
            connection.host_name, connection.mail_command, reply, egress=connection.egress
        )
        return Outcome(refused, evidence)


def _rcpt_command(item: _Item) -> str:
    """RFC 5321 §4.1.1.3: RCPT TO with the forward-path in angle brackets."""
    return f"RCPT TO:<{item.recipient.address}>"


def _host_name(connection: Connection, recipient: Recipient) -> str:
    """The name under which the recipient's domain knows the connected exchanger."""
    for exchanger in recipient.route.exchangers:
        if connection.ip in exchanger.addresses:
            return exchanger.name
    return connection.host_name
