"""In-process service fixtures: one node's application on a real loopback port, real database and engine."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import asyncpg
import pytest

from tests.mailfarm.farm import MailFarm
from tests.support.database import TestAccount
from tests.support.nodes import basic_auth, in_process_nodes
from verifalia_server.settings import ServiceSettings

NodeFactory = Callable[..., Awaitable["Node"]]


@dataclasses.dataclass
class Node:
    """A running node: its base URL, an HTTP session and the database pool behind it."""

    url: str
    session: aiohttp.ClientSession
    pool: asyncpg.Pool[Any]
    settings: ServiceSettings

    def auth(self, account: TestAccount) -> dict[str, str]:
        """Basic auth headers for an account's first sub-account."""
        return basic_auth(account.sid, account.token)


def service_settings(database_url: str, **overrides: Any) -> ServiceSettings:
    """Settings with short scheduler delays for tests."""
    base = ServiceSettings(
        database_url=database_url,
        poll_seconds=0.05,
        batch_size=200,
        v1_submit_wait=0.0,
        sweep_seconds=0.2,
    )
    return dataclasses.replace(base, **overrides)


@pytest.fixture
async def start_node(
    database_url: str, pool: asyncpg.Pool[Any], mail_farm: MailFarm
) -> AsyncIterator[NodeFactory]:
    """Start in-process nodes (settings overridable) against the test database and the mail farm."""
    async with in_process_nodes(pool, mail_farm) as serve:

        async def start(**overrides: Any) -> Node:
            settings = service_settings(database_url, **overrides)
            url, session = await serve(settings)
            return Node(url, session, pool, settings)

        yield start


@pytest.fixture
async def node(start_node: NodeFactory) -> Node:
    """One node with the test settings."""
    return await start_node()


async def wait_for_completion(
    session: aiohttp.ClientSession, url: str, headers: dict[str, str], within: float = 30.0
) -> dict[str, Any]:
    """Poll a v1.4 job URL until it answers 200; return the final snapshot."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        async with session.get(url, headers=headers) as response:
            assert response.status in (200, 202), await response.text()
            if response.status == 200:
                snapshot: dict[str, Any] = await response.json()
                return snapshot
        assert loop.time() < deadline, f"job {url} not complete after {within} s"
        await asyncio.sleep(0.05)
