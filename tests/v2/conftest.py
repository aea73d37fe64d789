"""In-process v2 fixtures: one node's application on a loopback port, the real database, engine and farm."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

import aiohttp
import asyncpg
import pytest

from tests.mailfarm.farm import MailFarm
from tests.support.database import TestAccount, create_test_account
from tests.support.nodes import basic_auth, in_process_nodes
from verifalia_server.settings import ServiceSettings

PROBLEM_JSON = "application/problem+json"

Params = ParamSpec("Params")
Result = TypeVar("Result")


@dataclasses.dataclass
class V2Node:
    """A running node: its v2 base URL, an HTTP session, Basic credentials and the pool behind it."""

    url: str
    session: aiohttp.ClientSession
    pool: asyncpg.Pool[Any]
    account: TestAccount

    @property
    def auth(self) -> dict[str, str]:
        """The Basic Authorization header of the account's first sub-account."""
        return basic_auth(self.account.sid, self.account.token)

    def v2(self, path: str, version: str = "v2.6") -> str:
        """The URL of a v2 resource."""
        return f"{self.url}/{version}{path}"


NodeFactory = Callable[..., Awaitable[V2Node]]


@pytest.fixture
async def start_v2_node(
    database_url: str, pool: asyncpg.Pool[Any], mail_farm: MailFarm, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[NodeFactory]:
    """Start in-process nodes with v2 environment overrides, each with a fresh funded account."""
    async with in_process_nodes(pool, mail_farm) as serve:

        async def start(
            environ: Mapping[str, str] | None = None, account: TestAccount | None = None, **overrides: Any
        ) -> V2Node:
            for name, value in (environ or {}).items():
                monkeypatch.setenv(name, value)
            settings = dataclasses.replace(
                ServiceSettings(database_url=database_url, poll_seconds=0.05, sweep_seconds=0.2), **overrides
            )
            url, session = await serve(settings)
            owner = account or await create_test_account(pool, credits=10_000, free_daily=100)
            return V2Node(url, session, pool, owner)

        yield start


@pytest.fixture
async def node(start_v2_node: NodeFactory) -> V2Node:
    """One node with default v2 settings and short entry pages."""
    return await start_v2_node({"VERIFALIA_PAGE_SIZE": "3"})


async def submit(node: V2Node, body: Any, query: str = "waitTime=10000") -> aiohttp.ClientResponse:
    """POST a JSON job request and return the (read) response."""
    async with node.session.post(
        node.v2(f"/email-validations?{query}"), json=body, headers=node.auth
    ) as response:
        await response.read()
        return response


def entries(*addresses: str) -> dict[str, Any]:
    """A job request body for these addresses."""
    return {"entries": [{"inputData": address} for address in addresses]}


async def problem(response: aiohttp.ClientResponse, status: int) -> dict[str, Any]:
    """Assert an RFC 9457 problem response with `status` and return its body."""
    assert response.status == status, await response.text()
    assert response.content_type == PROBLEM_JSON
    body: dict[str, Any] = await response.json(content_type=PROBLEM_JSON)
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    assert "type" in body
    return body


class RecordingExecutor(ThreadPoolExecutor):
    """A thread pool that records the name of each function it runs, seeing through the
    `functools.partial(context.run, function, ...)` that `asyncio.to_thread` hands it."""

    def __init__(self) -> None:
        super().__init__(max_workers=2)
        self.ran: list[str] = []

    def submit(
        self, fn: Callable[Params, Result], /, *args: Params.args, **kwargs: Params.kwargs
    ) -> Future[Result]:
        target = fn.args[0] if isinstance(fn, functools.partial) and fn.args else fn
        self.ran.append(getattr(target, "__name__", repr(target)))
        return super().submit(fn, *args, **kwargs)


@pytest.fixture
async def worker_threads() -> RecordingExecutor:
    """The running loop's default executor, recording what `asyncio.to_thread` runs off the event loop (the
    loop shuts it down when it closes)."""
    executor = RecordingExecutor()
    asyncio.get_running_loop().set_default_executor(executor)
    return executor
