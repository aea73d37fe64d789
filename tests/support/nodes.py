"""In-process nodes for API tests: the application on a real loopback port, with an HTTP client session."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import asyncpg
from aiohttp.test_utils import TestServer

from tests.mailfarm.farm import MailFarm
from verifalia_server.engine.config import EngineConfig
from verifalia_server.node import create_app
from verifalia_server.settings import ServiceSettings

ServeNode = Callable[[ServiceSettings], Awaitable[tuple[str, aiohttp.ClientSession]]]


def basic_auth(sid: str, token: str) -> dict[str, str]:
    """The Authorization header of HTTP Basic credentials."""
    return {"Authorization": aiohttp.encode_basic_auth(sid, token)}


@contextlib.asynccontextmanager
async def in_process_nodes(pool: asyncpg.Pool[Any], mail_farm: MailFarm) -> AsyncIterator[ServeNode]:
    """Serve nodes on the pool and the mail farm; each call returns a node's base URL and a client session.

    On exit every session is closed, then every server.
    """
    servers: list[TestServer] = []
    sessions: list[aiohttp.ClientSession] = []

    async def serve(settings: ServiceSettings) -> tuple[str, aiohttp.ClientSession]:
        engine_config = EngineConfig.from_env(mail_farm.engine_environ())
        server = TestServer(create_app(settings, pool, engine_config), host="127.0.0.1")
        await server.start_server()
        servers.append(server)
        session = aiohttp.ClientSession()
        sessions.append(session)
        return str(server.make_url("")).rstrip("/"), session

    yield serve
    for session in sessions:
        await session.close()
    for server in servers:
        await server.close()
