"""Registrations of client certificates across nodes: PostgreSQL LISTEN on `client_certificate_added`.

API: `follow_certificates(url, changed)` runs until cancelled, calling `changed()` once listening (what was
registered while not listening is unknown) and again at every registration, on any node; it reconnects
after a lost or failed connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import asyncpg

from verifalia_server.store.certificates import CERTIFICATES_CHANNEL
from verifalia_server.store.database import connect

_log = logging.getLogger(__name__)
_RECONNECT_DELAY = 1.0


async def follow_certificates(url: str, changed: Callable[[], None]) -> None:
    """Call `changed` whenever certificates may have been registered, until cancelled."""
    while True:
        connection: asyncpg.Connection[Any] | None = None
        try:
            connection = await connect(url)
            lost = asyncio.Event()
            connection.add_termination_listener(lambda _connection, event=lost: event.set())
            await connection.add_listener(CERTIFICATES_CHANNEL, lambda *_notification: changed())
            changed()
            await lost.wait()
            _log.warning("client certificate events connection lost; reconnecting")
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            _log.warning("client certificate events connection failed: %s", error)
        finally:
            if connection is not None and not connection.is_closed():
                with contextlib.suppress(Exception):
                    await connection.close()
        await asyncio.sleep(_RECONNECT_DELAY)
