"""The engine: syntax, lists, DNS and SMTP checks turning input strings into verdicts."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from verifalia_server.engine.config import EngineConfig
from verifalia_server.engine.dns import DnsFailure, MailResolver, MailRoute
from verifalia_server.engine.lists import Lists
from verifalia_server.engine.smtp.handshake import Outcome
from verifalia_server.engine.smtp.prober import Prober, Recipient
from verifalia_server.engine.stats import EngineStats
from verifalia_server.engine.statuses import NETWORK_STATUSES, Status
from verifalia_server.engine.suggestions import suggest
from verifalia_server.engine.syntax import ParsedAddress, SyntaxFailure, is_special_use_domain, parse_address
from verifalia_server.engine.verdict import Evidence, Quality, Verdict, VerificationRequest

_SPECIAL_USE = Evidence(reply_text="special-use domain name")
_FACTS_CACHE_SIZE = 65_536
# A deferred entry comes back no sooner than this, so a paused exchanger is not polled in a tight loop.
_SHORTEST_DEFERRAL = 1.0
# Outcomes another pass may settle: transient replies, timeouts and connection failures.
RETRYABLE_STATUSES = NETWORK_STATUSES | {
    Status.MAILBOX_TEMPORARILY_UNAVAILABLE,
    Status.SERVER_TEMPORARY_UNAVAILABLE,
}


@dataclass(frozen=True, slots=True)
class _DomainFacts:
    """What the lists say about one domain, and the corrected domains to suggest for it."""

    disposable: bool
    free: bool
    special_use: bool
    suggested_domains: tuple[str, ...]


_LITERAL_FACTS = _DomainFacts(disposable=False, free=False, special_use=False, suggested_domains=())


@dataclass(frozen=True, slots=True)
class _Screened:
    """An input after the offline checks; `parsed` is set when the network must decide."""

    verdict: Verdict
    parsed: ParsedAddress | None = None


class Engine:
    """Verifies addresses; share one instance so DNS answers and session caps are shared too."""

    def __init__(self, config: EngineConfig, lists: Lists | None = None) -> None:
        self._config = config
        self._lists = lists if lists is not None else Lists.load(config.lists_file)
        self.stats = EngineStats()
        self._resolver = MailResolver(config, self.stats)
        self._prober = Prober(config, self.stats)
        self._closed = False
        self._facts: dict[str, _DomainFacts] = {}

    @property
    def prober(self) -> Prober:
        """The SMTP prober (its session limiter is shared by every batch)."""
        return self._prober

    def verify_offline(self, input_data: str) -> Verdict:
        """Syntax and list checks only, without any network access."""
        return self._screen(input_data).verdict

    async def verify_batch(self, requests: Sequence[VerificationRequest]) -> list[Verdict]:
        """Verify a batch; verdicts come back in input order, temporary ones with `retry_in` set."""
        if self._closed:
            raise RuntimeError("the engine is closed")
        screened = [self._screen(request.input_data) for request in requests]
        by_domain: dict[str, list[tuple[int, ParsedAddress]]] = {}
        for index, entry in enumerate(screened):
            if entry.parsed is not None:
                by_domain.setdefault(entry.parsed.ascii_domain_part, []).append((index, entry.parsed))
        outcomes, deferred = await self._probe_domains(by_domain)
        verdicts: list[Verdict] = []
        for index, (request, entry) in enumerate(zip(requests, screened, strict=True)):
            outcome = outcomes.get(index)
            if outcome is None:
                verdicts.append(entry.verdict)
                continue
            resume_at = deferred.get(index)
            waited = None if resume_at is None else max(_SHORTEST_DEFERRAL, resume_at - time.monotonic())
            if waited is not None and self._may_defer(request, waited):
                retry_in: float | None = waited
            else:
                waited, retry_in = None, self._retry_in(outcome.status, request)
            verdicts.append(
                replace(
                    entry.verdict,
                    status=outcome.status,
                    evidence=outcome.evidence,
                    retry_in=retry_in,
                    deferred=waited is not None,
                )
            )
        return verdicts

    def _may_defer(self, request: VerificationRequest, wait: float) -> bool:
        """Whether a throttled entry may wait `wait` more seconds within its throttling deadline."""
        if request.submitted_at is None:
            return True
        return time.time() + wait <= request.submitted_at + self._config.smtp_throttle_deadline

    async def _probe_domains(
        self, by_domain: dict[str, list[tuple[int, ParsedAddress]]]
    ) -> tuple[dict[int, Outcome], dict[int, float]]:
        """Route every domain, then probe its recipients grouped by mail exchanger addresses.

        Returns the outcomes, and the indexes a throttling exchanger deferred with when it expects them.
        """
        domains = list(by_domain)
        routes = await asyncio.gather(*(self._resolver.route(domain) for domain in domains))
        outcomes: dict[int, Outcome] = {}
        groups: dict[tuple[str, ...], list[Recipient]] = {}
        duplicates: dict[int, int] = {}
        for domain, route in zip(domains, routes, strict=True):
            if isinstance(route, DnsFailure):
                outcomes.update(
                    (index, Outcome(route.status, route.evidence)) for index, _ in by_domain[domain]
                )
                continue
            disposable = self._disposable_exchanger(route)
            if disposable is not None:
                outcomes.update((index, disposable) for index, _ in by_domain[domain])
                continue
            # Domains whose exchangers are the same addresses share sessions.
            group = groups.setdefault(route.addresses, [])
            first_of: dict[str, int] = {}
            for index, parsed in by_domain[domain]:
                # RFC 5321 §2.4: the local part is case-sensitive, so only exact repeats are asked once.
                first = first_of.setdefault(parsed.local_part, index)
                if first != index:
                    duplicates[index] = first
                    continue
                international = parsed.has_international_mailbox_name
                group.append(Recipient(index, parsed.local_part, domain, route, international))
        deferred: dict[int, float] = {}
        for probed in await asyncio.gather(*(self._prober.probe(group) for group in groups.values())):
            outcomes.update(probed.outcomes)
            deferred.update(probed.deferred)
        for index, first in duplicates.items():
            outcomes[index] = outcomes[first]
            if first in deferred:
                deferred[index] = deferred[first]
        return outcomes, deferred

    async def verify(
        self,
        input_data: str,
        quality: Quality = Quality.STANDARD,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - a deadline on the whole schedule, sleeps included
    ) -> Verdict:
        """Verify one address, running the quality's retry schedule in-process; always a final verdict.

        When `timeout` seconds pass first, the best verdict so far is returned as final.
        """
        best: Verdict | None = None
        deadline = asyncio.timeout(timeout)
        try:
            async with deadline:
                attempt = 0
                submitted_at = time.time()
                while True:
                    request = VerificationRequest(input_data, quality, attempt, submitted_at)
                    [best] = await self.verify_batch([request])
                    if best.retry_in is None:
                        return best
                    await asyncio.sleep(best.retry_in)
                    attempt += 0 if best.deferred else 1
        except TimeoutError:
            if not deadline.expired():
                raise
        if best is None:
            evidence = Evidence(reply_text=f"no answer within {timeout} seconds")
            best = replace(
                self.verify_offline(input_data), status=Status.MAILBOX_VALIDATION_TIMEOUT, evidence=evidence
            )
        return replace(best, retry_in=None, deferred=False)

    async def aclose(self) -> None:
        """Refuse further batches; sessions never outlive a batch, so nothing else stays open."""
        self._closed = True

    def _screen(self, input_data: str) -> _Screened:
        parsed = parse_address(input_data)
        if isinstance(parsed, SyntaxFailure):
            return _Screened(Verdict(input_data, parsed.status, syntax_failure_index=parsed.index))
        domain = parsed.ascii_domain_part
        literal = parsed.is_domain_literal
        facts = _LITERAL_FACTS if literal else self._domain_facts(domain, parsed.local_part)
        evidence: Evidence | None = None
        if literal:
            # Mail to address literals bypasses DNS and MX policy; it is not accepted as deliverable.
            status = Status.UNACCEPTABLE_DOMAIN_LITERAL
        elif facts.special_use:
            # RFC 6761 §6: special-use names never resolve on the public internet; no query is sent.
            status, evidence = Status.DOMAIN_DOES_NOT_EXIST, _SPECIAL_USE
        elif facts.disposable:
            status = Status.DOMAIN_IS_WELL_KNOWN_DEA
        else:
            status = Status.SUCCESS
        verdict = Verdict(
            input_data,
            status,
            email_address=parsed.email_address,
            local_part=parsed.local_part,
            domain_part=parsed.domain_part,
            ascii_domain_part=domain,
            has_international_domain_name=parsed.has_international_domain_name,
            has_international_mailbox_name=parsed.has_international_mailbox_name,
            is_disposable=facts.disposable,
            is_free=facts.free,
            is_role=self._lists.is_role(parsed.local_part),
            suggestions=tuple(f"{parsed.local_part}@{corrected}" for corrected in facts.suggested_domains),
            evidence=evidence,
        )
        # Success here only means nothing offline rules the address out: the network decides.
        return _Screened(verdict, parsed if status is Status.SUCCESS else None)

    def _domain_facts(self, domain: str, local_part: str) -> _DomainFacts:
        """What the lists say about a domain; remembered, as address lists repeat their domains."""
        facts = self._facts.get(domain)
        if facts is None:
            if len(self._facts) >= _FACTS_CACHE_SIZE:
                self._facts.clear()
            # Suggestions are the local part at corrected domains; the domains hold for any local part.
            suggested = tuple(address.rpartition("@")[2] for address in suggest(local_part, domain))
            facts = self._facts[domain] = _DomainFacts(
                self._lists.is_disposable(domain),
                self._lists.is_free(domain),
                is_special_use_domain(domain),
                suggested,
            )
        return facts

    def _disposable_exchanger(self, route: MailRoute) -> Outcome | None:
        """A mail exchanger run by a disposable-address service decides without any SMTP."""
        for exchanger in route.exchangers:
            if self._lists.is_disposable(exchanger.name):
                evidence = Evidence(
                    mx_host=exchanger.name, reply_text="mail exchanger of a disposable service"
                )
                return Outcome(Status.MAIL_EXCHANGER_IS_WELL_KNOWN_DEA, evidence)
        return None

    def _retry_in(self, status: Status, request: VerificationRequest) -> float | None:
        if status not in RETRYABLE_STATUSES:
            return None
        delays = self._config.retry_delays.get(request.quality, ())
        return delays[request.attempt] if request.attempt < len(delays) else None
