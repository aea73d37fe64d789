"""HTTPS serving with optional client certificates (mutual TLS), whose trust anchors are the registered ones.

The server asks every client for a certificate and accepts connections without one, so password and bearer
logins share the port. A presented certificate passes the handshake when it is registered (each registered
certificate is a trust anchor by itself, self-signed or not) or issued by the operator's client CA; whose it
is, and whether it still logs anybody in, is then decided per request from the database (`auth`). Every
node loads the registered certificates at start and each new one as it is registered, on any node.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiohttp import web

from verifalia_server.store.certificate_events import follow_certificates
from verifalia_server.store.certificates import unloaded_certificates
from verifalia_server.store.database import DATABASE_ERRORS, Pool

_log = logging.getLogger(__name__)
_RETRY_DELAY = 1.0


def server_context(cert_file: Path, key_file: Path, client_ca_file: Path | None) -> ssl.SSLContext:
    """The TLS context of a node serving HTTPS with this certificate chain and key (both PEM)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    # RFC 8446 §4.3.2: the server requests a certificate; a client may send none (RFC 8446 §4.4.2.4).
    context.verify_mode = ssl.CERT_OPTIONAL
    # A registered certificate is trusted as it is, without the chain of whoever issued it.
    context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    if client_ca_file is not None:
        context.load_verify_locations(cafile=client_ca_file)
    return context


class ClientCertificateTrust:
    """The registered client certificates as trust anchors of a node's TLS context, added as registered."""

    def __init__(self, context: ssl.SSLContext, pool: Pool[Any], database_url: str) -> None:
        self._context = context
        self._pool = pool
        self._database_url = database_url
        self._loaded: set[str] = set()
        self._changed = asyncio.Event()
        self._lock = asyncio.Lock()

    async def sync(self) -> None:
        """Trust every registered certificate not trusted yet."""
        async with self._lock:
            for fingerprint, pem in await unloaded_certificates(self._pool, self._loaded):
                try:
                    self._context.load_verify_locations(cadata=pem)
                except ssl.SSLError as error:
                    _log.warning("client certificate %s cannot be trusted: %s", fingerprint, error)
                self._loaded.add(fingerprint)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Trust the registered certificates, then follow the registrations of every node while the block
        runs."""
        await self.sync()
        listener = asyncio.create_task(
            follow_certificates(self._database_url, self._changed.set), name="client-certificates"
        )
        follower = asyncio.create_task(self._follow(), name="client-certificate-trust")
        try:
            yield
        finally:
            for task in (listener, follower):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _follow(self) -> None:
        while True:
            await self._changed.wait()
            self._changed.clear()
            try:
                await self.sync()
            except DATABASE_ERRORS as error:
                _log.warning("client certificates cannot be loaded: %s; retrying", error)
                await asyncio.sleep(_RETRY_DELAY)
                self._changed.set()


# The node's HTTPS context and the registered certificates it trusts, when it serves HTTPS.
TLS_CONTEXT_KEY = web.AppKey("tls_context", ssl.SSLContext)
CLIENT_TRUST_KEY = web.AppKey("client_trust", ClientCertificateTrust)


def peer_fingerprint(request: web.Request) -> str | None:
    """The SHA-256 fingerprint (upper-case hex) of the certificate the client presented, if any."""
    transport = request.transport
    ssl_object = None if transport is None else transport.get_extra_info("ssl_object")
    if not isinstance(ssl_object, ssl.SSLObject):
        return None
    der = ssl_object.getpeercert(binary_form=True)
    return None if der is None else hashlib.sha256(der).hexdigest().upper()
