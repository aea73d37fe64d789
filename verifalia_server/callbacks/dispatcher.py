"""Completion callbacks: one POST per completed job that asked for one, delivered once across all nodes.

A delivery row is created (by a database trigger, migration 010) in the transaction that completes the
job. Each node runs a `CallbackDispatcher` that wakes on job-completion notifications and every
`poll_seconds`, claims due rows with `FOR UPDATE SKIP LOCKED` and a lease, and POSTs
`{"event": {"type": "email-validation.completed", "data": {"id": ..., "name": ...}}}` to the URL. A failed
attempt (network error, timeout, non-2xx reply, refused address) is retried after the next delay of
`retry_delays`; when they are exhausted the delivery is abandoned. The URL's host is resolved by
`CallbackResolver` (the configured name servers) and must resolve to public addresses only (the same guard
as mail exchangers) unless private destinations are allowed.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
import uuid
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from verifalia_server.callbacks.resolver import (
    CallbackResolver,
    CallbackResolverConfig,
    is_localhost,
)
from verifalia_server.engine.guard import PrivateAddressError, ensure_public
from verifalia_server.engine.syntax import is_special_use_domain
from verifalia_server.store.callbacks import (
    DueDelivery,
    claim_due,
    mark_abandoned,
    mark_delivered,
    schedule_retry,
)
from verifalia_server.store.database import Pool
from verifalia_server.store.events import JobEvents

_log = logging.getLogger(__name__)

EVENT_TYPE = "email-validation.completed"
_CLAIM_BATCH = 20
_LEASE_MARGIN_SECONDS = 30.0
_USER_AGENT = "verifalia-server/callbacks"


class CallbackUrlError(ValueError):
    """A callback URL that can never be delivered to (bad scheme, no host, refused address)."""


def check_callback_url(url: str, allow_private: bool) -> None:
    """Reject a callback URL that is not absolute http(s), or whose literal IP host is refused."""
    # RFC 3986 §2: a URI holds printable US-ASCII only (and PostgreSQL stores no NUL).
    if not url.isascii() or not url.isprintable():
        raise CallbackUrlError("the callback URL must hold printable ASCII characters only")
    # RFC 3986 §3: scheme "://" authority path.
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CallbackUrlError(f"the callback URL must be an absolute http or https URL, got {url!r}")
    try:
        _port = parts.port
    except ValueError:
        raise CallbackUrlError(f"the callback URL has an invalid port: {url!r}") from None
    if _is_ip_literal(parts.hostname):
        try:
            ensure_public(parts.hostname, allow_private)
        except PrivateAddressError as exc:
            raise CallbackUrlError(f"the callback URL points at a refused address: {exc}") from None


async def check_callback_destination(url: str, config: CallbackResolverConfig) -> None:
    """Also reject a callback URL whose host does not resolve, or resolves to a refused address.

    The host is resolved as the dispatcher resolves it when delivering (`CallbackResolver`), so a URL
    accepted here is not bound to fail every attempt.
    """
    check_callback_url(url, config.allow_private)
    parts = urlsplit(url)
    host = parts.hostname or ""
    # RFC 6761 §6: special-use names never resolve on the Internet; refused without a lookup
    # (`localhost`, RFC 6761 §6.3, resolves locally and meets the private-address guard instead).
    if not is_localhost(host) and is_special_use_domain(host):
        raise CallbackUrlError(f"the callback URL host {host!r} is a special-use name that never resolves")
    resolver = CallbackResolver(config)
    try:
        await resolver.resolve(host, parts.port or 0, socket.AF_UNSPEC)
    except (OSError, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise CallbackUrlError(f"the callback URL host cannot be delivered to: {reason}") from None
    finally:
        await resolver.close()


def completion_event(job_id: uuid.UUID, name: str | None, version: str | None) -> dict[str, Any]:
    """The callback body: schema 1.0 names the job id; 1.1 (the default) adds the job name."""
    data: dict[str, Any] = {"id": str(job_id)}
    if version != "1.0":
        data["name"] = name
    return {"event": {"type": EVENT_TYPE, "data": data}}


class CallbackDispatcher:
    """Delivers due completion callbacks from this node."""

    def __init__(
        self,
        pool: Pool[Any],
        events: JobEvents,
        node_id: str,
        *,
        resolver: CallbackResolverConfig,
        timeout: float,
        retry_delays: Sequence[float],
        poll_seconds: float,
    ) -> None:
        self._pool = pool
        self._events = events
        self._node_id = node_id
        self._resolver = resolver
        self._timeout = timeout
        self._retry_delays = tuple(retry_delays)
        self._poll_seconds = poll_seconds
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        """Start delivering in the background."""
        connector = aiohttp.TCPConnector(resolver=CallbackResolver(self._resolver), use_dns_cache=False)
        self._session = aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=self._timeout)
        )
        self._task = asyncio.create_task(self._run(), name="callback-dispatcher")

    async def aclose(self) -> None:
        """Stop delivering; a delivery cut short is retried by any node once its lease ends."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._session is not None:
            await self._session.close()

    async def _run(self) -> None:
        completions = self._events.subscribe()
        try:
            while True:
                try:
                    await self.deliver_due()
                except Exception:
                    # A database or network failure ends this pass only; the next one retries.
                    _log.exception("callback delivery pass failed")
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._poll_seconds):
                        await completions.get()
                while not completions.empty():
                    completions.get_nowait()
        finally:
            self._events.unsubscribe(completions)

    async def deliver_due(self) -> int:
        """Claim and deliver every due callback; return how many were attempted."""
        attempted = 0
        lease_seconds = self._timeout + _LEASE_MARGIN_SECONDS
        while deliveries := await claim_due(self._pool, self._node_id, lease_seconds, _CLAIM_BATCH):
            await asyncio.gather(*(self._deliver(delivery) for delivery in deliveries))
            attempted += len(deliveries)
        return attempted

    async def _deliver(self, delivery: DueDelivery) -> None:
        error = await self._post(delivery)
        if error is None:
            await mark_delivered(self._pool, delivery.job_id, self._node_id)
            return
        _log.info("callback for job %s failed (attempt %d): %s", delivery.job_id, delivery.attempts, error)
        if delivery.attempts > len(self._retry_delays):
            await mark_abandoned(self._pool, delivery.job_id, self._node_id, error)
            return
        await schedule_retry(
            self._pool, delivery.job_id, self._node_id, self._retry_delays[delivery.attempts - 1], error
        )

    async def _post(self, delivery: DueDelivery) -> str | None:
        """POST the event; return None on a 2xx reply, else what went wrong."""
        if self._session is None:
            raise RuntimeError("the callback dispatcher is not started")
        try:
            check_callback_url(delivery.url, self._resolver.allow_private)
        except CallbackUrlError as exc:
            return str(exc)
        version = delivery.callback.get("version")
        body = completion_event(delivery.job_id, delivery.name, version if isinstance(version, str) else None)
        skip_tls_check = delivery.callback.get("skipServerCertificateValidation") is True
        try:
            async with self._session.post(
                delivery.url,
                json=body,
                headers={"User-Agent": _USER_AGENT},
                allow_redirects=False,
                ssl=not skip_tls_check,
            ) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return None
                return f"HTTP {response.status}"
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            return f"{type(exc).__name__}: {exc}"


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
