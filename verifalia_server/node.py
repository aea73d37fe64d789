"""The composition root: one node built from its settings, and served.

`build_app` makes every long-lived object of a node (the engine, the job events listener, the scheduler,
the completion-callback dispatcher, the CAPTCHA verifier and the web application) from one `NodeSettings`
and a pool, and ties their start and stop to the application's life. `serve` reads nothing itself either:
it applies the migrations, opens the pool and runs the application until SIGINT or SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import logging
import os
import signal
from collections.abc import AsyncIterator, Callable
from typing import Any

from aiohttp import web

from verifalia_server.api.shared.access_log import ACCESS_LOGGER, AccessLogger
from verifalia_server.api.shared.tls import (
    CLIENT_TRUST_KEY,
    TLS_CONTEXT_KEY,
    ClientCertificateTrust,
    server_context,
)
from verifalia_server.api.v2.contact_methods import MAILER_KEY
from verifalia_server.api.web_app import create_web_app
from verifalia_server.callbacks.dispatcher import CallbackDispatcher
from verifalia_server.callbacks.resolver import CallbackResolverConfig
from verifalia_server.captcha.verifier import CaptchaVerifier
from verifalia_server.engine import Engine
from verifalia_server.engine.config import EngineConfig
from verifalia_server.mail.activation import ActivationMail
from verifalia_server.mail.relay import configured_relay
from verifalia_server.scheduler import Scheduler
from verifalia_server.settings import NodeSettings, ServiceSettings
from verifalia_server.store.database import Pool, create_pool
from verifalia_server.store.events import JobEvents
from verifalia_server.store.migrations import apply_migrations

_log = logging.getLogger("verifalia_server")


def build_app(settings: NodeSettings, pool: Pool[Any]) -> web.Application:
    """Build a node; `settings.service.database_url` must name the database `pool` connects to."""
    service = settings.service
    if service.database_url is None:
        raise ValueError("a node needs settings.service.database_url (the job events connection uses it)")
    engine = Engine(settings.engine)
    events = JobEvents(service.database_url, pool)
    callbacks = CallbackResolverConfig(
        servers=settings.callback_dns_servers,
        timeout=settings.engine.dns_timeout,
        allow_private=settings.v2.allow_private_callbacks,
    )
    captcha = CaptchaVerifier(settings.captcha)
    app = create_web_app(settings, pool, engine, events, callbacks, captcha)
    relay = configured_relay(settings.mail)
    if relay is not None:
        app[MAILER_KEY] = ActivationMail(relay)
    app.cleanup_ctx.append(_background(settings, pool, engine, events, callbacks))
    if service.tls_cert_file is not None and service.tls_key_file is not None:
        context = server_context(service.tls_cert_file, service.tls_key_file, service.tls_client_ca_file)
        trust = ClientCertificateTrust(context, pool, service.database_url)
        app[TLS_CONTEXT_KEY] = context
        app[CLIENT_TRUST_KEY] = trust
        app.cleanup_ctx.append(lambda _app: trust.running())
    app.on_cleanup.append(lambda _app: captcha.aclose())
    return app


def create_app(settings: ServiceSettings, pool: Pool[Any], engine_config: EngineConfig) -> web.Application:
    """Build a node with these service and engine sections, the others read from the environment."""
    node = NodeSettings.from_env(os.environ)
    return build_app(dataclasses.replace(node, service=settings, engine=engine_config), pool)


def _background(
    settings: NodeSettings,
    pool: Pool[Any],
    engine: Engine,
    events: JobEvents,
    callbacks: CallbackResolverConfig,
) -> Callable[[web.Application], contextlib.AbstractAsyncContextManager[None]]:
    """The node's background work while the application runs: the job events listener, the scheduler
    (unless disabled) and the callback dispatcher; on shutdown they stop and the engine closes."""

    @contextlib.asynccontextmanager
    async def running(_app: web.Application) -> AsyncIterator[None]:
        service = settings.service
        await events.start()
        scheduler_task: asyncio.Task[None] | None = None
        if service.scheduler_enabled:
            scheduler = Scheduler(pool, engine, service, events.submitted)
            scheduler_task = asyncio.create_task(scheduler.run(), name="scheduler")
        dispatcher = CallbackDispatcher(
            pool,
            events,
            service.node_id,
            resolver=callbacks,
            timeout=settings.v2.callback_timeout,
            retry_delays=settings.v2.callback_retry_delays,
            poll_seconds=settings.v2.callback_poll_seconds,
        )
        try:
            await dispatcher.start()
            try:
                yield
            finally:
                await dispatcher.aclose()
        finally:
            if scheduler_task is not None:
                scheduler_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await scheduler_task
            await events.aclose()
            await engine.aclose()

    return running


class ListenError(Exception):
    """The node cannot listen on its address."""

    def __init__(self, host: str, port: int, error: OSError) -> None:
        super().__init__(f"cannot listen on {host}:{port}: {error}")
        self.host = host
        self.port = port
        self.error = error


async def serve(settings: NodeSettings) -> None:
    """Serve (HTTPS when the settings name a certificate) until SIGINT or SIGTERM; `ListenError` when the
    address cannot be listened on."""
    service = settings.service
    if service.database_url is None:
        raise ValueError("a node needs settings.service.database_url")
    await apply_migrations(service.database_url, service.migrations_dir)
    pool = await create_pool(
        service.database_url,
        min_size=service.pool_min_size,
        max_size=service.pool_max_size,
        statement_timeout=service.db_statement_timeout,
        acquire_timeout=service.db_acquire_timeout,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    app = build_app(settings, pool)
    runner = web.AppRunner(
        app, access_log_class=AccessLogger, access_log=ACCESS_LOGGER if service.access_log else None
    )
    try:
        await runner.setup()
        tls = app.get(TLS_CONTEXT_KEY)
        site = web.TCPSite(runner, service.host, service.port, ssl_context=tls)
        try:
            await site.start()
        except OSError as error:
            raise ListenError(service.host, service.port, error) from error
        # Everything built so far lives as long as the node: moved out of the collector's reach, it is no
        # longer traversed by every full collection the request and verification work triggers.
        gc.collect()
        gc.freeze()
        scheme = "https" if tls else "http"
        _log.info("%s listening on %s://%s:%d", service.node_id, scheme, service.host, service.port)
        await stop.wait()
        _log.info("%s stopping", service.node_id)
    finally:
        await runner.cleanup()
        await pool.close()
